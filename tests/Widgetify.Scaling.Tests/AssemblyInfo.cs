// The command provider is tested against bash scripts and fake executables (Unix file modes): these tests are for Linux.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
