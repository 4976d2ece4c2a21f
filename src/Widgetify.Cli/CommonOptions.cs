using System.CommandLine;

namespace Widgetify.Cli;

/// <summary>Options several verbs share, so they are spelled and documented the same way everywhere.</summary>
internal static class CommonOptions
{
    public const string DefaultDataDirectory = ".widgetify";

    public static Option<string> DataDir() => new("--data-dir")
    {
        Description = "Folder of the embedded PostgreSQL cluster and the saved keys.",
        DefaultValueFactory = _ => DefaultDataDirectory,
    };

    public static Option<string?> DatabaseUrl() => new("--database-url")
    {
        Description = "Use this PostgreSQL server (an Npgsql connection string or a postgres:// URL) instead of the embedded one.",
    };
}
