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

    /// <summary>A drill's <c>--writers</c>: 8 by default, refused below 1 (a drill without writers measures nothing; 0 used to
    /// run with 1 without a word, the fault injected all the same).</summary>
    public static Option<int> Writers()
    {
        var option = new Option<int>("--writers") { Description = "Concurrent writers (default 8).", DefaultValueFactory = _ => 8 };
        option.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is var value and < 1)
            {
                r.AddError($"--writers must be at least 1; got {value}.");
            }
        });
        return option;
    }
}
