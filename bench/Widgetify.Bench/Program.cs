using System.CommandLine;
using System.Runtime.InteropServices;
using Widgetify.Bench.Fleet;
using Widgetify.Bench.Processes;
using Widgetify.Bench.Scale;
using Widgetify.Bench.ShedCost;
using Widgetify.Bench.Storm;

// Ctrl-C and SIGTERM cancel the run; the runners' finally blocks then stop the service, PgBouncer and
// PostgreSQL. Later signals are ignored too: the clean-up is time-boxed, and ending the process halfway
// through it would leave a PostgreSQL running in a temporary folder nobody knows about.
using var stop = new CancellationTokenSource();
void OnSignal(PosixSignalContext context)
{
    context.Cancel = true;
    if (!stop.IsCancellationRequested)
    {
        Console.Error.WriteLine("bench: stopping; cleaning up the service, PgBouncer and PostgreSQL (takes up to a minute)");
        stop.Cancel();
    }
}

using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);

var root = new RootCommand("Widgetify's load benchmarks.")
{
    StormCommand.Create(async (settings, _) =>
    {
        try
        {
            var report = await new StormRunner(settings, Console.Out).RunAsync(stop.Token);
            return report.Configurations.Any(c => c.Succeeded) ? 0 : 1;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync("storm: cancelled; everything it started has been stopped.");
            return 130;
        }
        catch (Exception ex) when (ex is ServiceStartException or InvalidOperationException or IOException or Npgsql.NpgsqlException)
        {
            // Everything started has been stopped by now; say what failed without a stack trace.
            await Console.Error.WriteLineAsync($"storm: failed: {ex.Message}");
            return 1;
        }
    }),
    ScaleCommand.Create(async (settings, _) =>
    {
        try
        {
            var report = await new ScaleRunner(settings, Console.Out).RunAsync(stop.Token);
            var missed = report.Figures.Count(f => f.Met == false);
            await Console.Out.WriteLineAsync(missed == 0 ? "scale: every goal met" : $"scale: {missed} of {report.Figures.Count} goals missed (see the table)");
            return 0;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync("scale: cancelled; the service it started has been stopped.");
            return 130;
        }
        catch (Exception ex) when (ex is ServiceStartException or InvalidOperationException or IOException or HttpRequestException or Npgsql.NpgsqlException)
        {
            // The service has been stopped by now; say what failed without a stack trace.
            await Console.Error.WriteLineAsync($"scale: failed: {ex.Message}");
            return 1;
        }
    }),
    ShedCostCommand.Create(async (settings, _) =>
    {
        try
        {
            var rows = await new ShedCostRunner(settings, Console.Out).RunAsync(stop.Token);
            return rows.Any(r => r.Unexpected > r.Requests / 100) ? 1 : 0;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync("shed-cost: cancelled; the service and PostgreSQL it started have been stopped.");
            return 130;
        }
        catch (Exception ex) when (ex is ServiceStartException or InvalidOperationException or IOException or HttpRequestException or Npgsql.NpgsqlException)
        {
            await Console.Error.WriteLineAsync($"shed-cost: failed: {ex.Message}");
            return 1;
        }
    }),
    FleetCommand.Create(async (settings, _) =>
    {
        try
        {
            var report = await new FleetRunner(settings, Console.Out).RunAsync(stop.Token);
            return report.MissedGoals.Count == 0 ? 0 : 1;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync("fleet: cancelled; the fleet it started has been stopped.");
            return 130;
        }
        catch (Exception ex) when (ex is ServiceStartException or InvalidOperationException or IOException or HttpRequestException or Npgsql.NpgsqlException)
        {
            await Console.Error.WriteLineAsync($"fleet: failed: {ex.Message}");
            return 1;
        }
    }),
};

return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
