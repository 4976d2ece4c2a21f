using System.CommandLine;
using Widgetify.Cli;

var root = new RootCommand("Widgetify: embeddable widgets that stay up when traffic spikes.")
{
    UpCommand.Create(),
    KeysCommand.Create(),
};

// The host handles Ctrl-C/SIGTERM itself (in-flight requests finish, then PostgreSQL stops cleanly);
// System.CommandLine's own handler would end the process after 2 s.
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
