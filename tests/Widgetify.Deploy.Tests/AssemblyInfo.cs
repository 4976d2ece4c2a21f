// The scaling scripts are bash, run with fake kubectl/aws executables (Unix file modes): these tests are for Linux.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
