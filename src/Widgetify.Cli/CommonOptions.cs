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

    /// <summary>A listing's <c>--format</c>: table (the default) or json, in any case.</summary>
    public static Option<string> TableOrJson()
    {
        var option = new Option<string>("--format") { Description = "table (default) or json.", DefaultValueFactory = _ => "table" };
        OptionWording.AcceptOnly(option, "table", "json");
        return option;
    }

    /// <summary><c>up</c>'s and <c>cluster up</c>'s <c>--demo-widgets</c>: 0 or more.</summary>
    public static Option<int> DemoWidgets()
    {
        var option = new Option<int>("--demo-widgets")
        {
            Description = "Widgets to seed for the demo tenant on first run (0: none).",
            DefaultValueFactory = _ => 10_000,
        };
        option.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() < 0)
            {
                r.AddError("--demo-widgets must be 0 or more.");
            }
        });
        return option;
    }
}
