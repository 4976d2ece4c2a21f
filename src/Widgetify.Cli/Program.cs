using System.CommandLine;
using System.CommandLine.Invocation;
using Microsoft.Extensions.Options;
using Npgsql;
using Widgetify.Cli;
using Widgetify.Cli.Cluster;
using Widgetify.Cli.Drills;

// 'drill restore' is its own command class: it restores the deployment rather than injecting a fault into it.
var drill = DrillCommand.Create();
drill.Subcommands.Add(RestoreDrillCommand.Create());
var root = new RootCommand("Widgetify: embeddable widgets that stay up when traffic spikes.")
{
    UpCommand.Create(),
    ClusterCommand.Create(),
    KeysCommand.Create(),
    TenantsCommand.Create(),
    PostmortemCommand.Create(),
    ReviewCommand.Create(),
    drill,
    BackupCommand.Create(),
    RestoreCommand.Create(),
};

// A value of the wrong kind ('--port abc') is refused in our words, not with a .NET type name.
OptionWording.Apply(root);

try
{
    // The host handles Ctrl-C/SIGTERM itself (in-flight requests finish, then PostgreSQL stops cleanly);
    // System.CommandLine's own handler would end the process after 2 s.
    var parsed = root.Parse(args);
    if (parsed.Action is ParseErrorAction parseError)
    {
        // Only the error, on stderr: the full help on stdout ended up in $(...) captures such as KEY=$(./widgetify keys
        // create ...). --help still prints it.
        parseError.ShowHelp = false;
    }

    return await parsed.InvokeAsync(
        new InvocationConfiguration { ProcessTerminationTimeout = null, EnableDefaultExceptionHandler = false });
}
catch (Exception ex) when (ex is NpgsqlException or OptionsValidationException or InvalidOperationException or TimeoutException)
{
    // Operator-facing failures (database unreachable or out of connections, a bad setting, a tampered migration, a
    // PostgreSQL that never accepted connections: a tester froze one at its start, and 'up' aborted with a stack trace
    // and exit code 134): their messages say what to change, and a stack trace would bury that.
    await Console.Error.WriteLineAsync($"widgetify: {ex.Message}");
    return 1;
}
catch (CliFailureException ex)
{
    // Bad input a verb recognised (a --database-url that is no connection string): the message says what to pass.
    await Console.Error.WriteLineAsync($"widgetify: {ex.Message}");
    return 1;
}
catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
{
    // A path a verb could not read or write (--output naming an existing file, /proc, a folder without permission):
    // .NET's message names the path and the reason.
    await Console.Error.WriteLineAsync($"widgetify: {ex.Message} Choose another path, or check its permissions.");
    return 1;
}
