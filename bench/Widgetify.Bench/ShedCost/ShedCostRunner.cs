using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Npgsql;
using Widgetify.Bench.Load;
using Widgetify.Bench.Processes;
using Widgetify.Postgres;

namespace Widgetify.Bench.ShedCost;

/// <summary>
/// Runs <c>bench shed-cost</c>. One PostgreSQL; two services on it side by side, one with
/// <c>Admission:ShedBeforeRouting</c> on and one off, measured in alternation. For each: a closed loop of served embeds (<c>GET /w/{id}</c>,
/// round the demo widgets), then the instance's connection share is taken to 0 by a phantom lease that claims the whole
/// fleet budget (what a fleet without room for this instance looks like), so that every embed is shed, and the same loop
/// again. Before and after each loop the service's CPU time (utime + stime, /proc/PID/stat) is read; CPU per request is
/// the difference, less what the idle service burnt over as long (its timers: heartbeats, monitoring, flushes; measured
/// for 2 s before each loop), divided by the requests. The load generator runs in this process on the same cores: it
/// takes CPU from the service but is not counted in it.
/// </summary>
internal sealed class ShedCostRunner(ShedCostSettings settings, TextWriter console)
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan IdleSample = TimeSpan.FromSeconds(3);

    /// <summary>Each figure is the median of this many loops, interleaved with idle samples: one loop's figure moves with
    /// whatever else the shared cores did meanwhile.</summary>
    private const int Repeats = 3;

    /// <summary>A shed is several times cheaper than a served embed: this many times more of them make a loop last about
    /// as long, well above the 10 ms resolution of /proc's CPU times.</summary>
    private const int ShedMultiple = 5;
    private static readonly TimeSpan ShareZeroTimeout = TimeSpan.FromSeconds(20);
    private const string PhantomName = "bench-shed-cost-phantom";

    public async Task<IReadOnlyList<ShedCostRow>> RunAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(settings.OutputDirectory);
        var work = WorkFolder.Create("widgetify-bench-shed-");
        PostgresCluster? cluster = null;
        var rows = new List<ShedCostRow>();
        try
        {
            Say($"output in {settings.OutputDirectory}; starting PostgreSQL (fsync off) in {work}");
            cluster = await PostgresCluster.StartAsync(
                new PostgresClusterOptions { DataDirectory = Path.Combine(work, "pg"), Durable = false }, cancellationToken: cancellationToken);
            var version = await ServiceBuild.VersionAsync(settings.ServiceDll, cancellationToken);
            var dll = ServiceBuild.Snapshot(settings.ServiceDll, work);
            rows.AddRange(await RunServicesAsync(cluster, dll, work, cancellationToken));
            await WriteAsync(rows, version, cancellationToken);
            return rows;
        }
        finally
        {
            if (cluster is not null)
            {
                await cluster.StopAsync(CancellationToken.None);
            }

            if (WorkFolder.TryDelete(work) is { } failure)
            {
                Say(failure);
            }
        }
    }

    /// <summary>Both services run side by side on the one PostgreSQL and their loops alternate (on, off, on, off, ...), so
    /// that whatever else the shared cores do at a given moment weighs on both alike.</summary>
    private async Task<IReadOnlyList<ShedCostRow>> RunServicesAsync(PostgresCluster cluster, string dll, string work, CancellationToken cancellationToken)
    {
        var services = new List<(bool ShedBeforeRouting, ServiceProcess Process)>();
        try
        {
            foreach (var shedBeforeRouting in (bool[])[true, false])
            {
                services.Add((shedBeforeRouting, Start(cluster, dll, work, shedBeforeRouting)));
            }

            using var control = BenchHttpClients.Control();
            var targets = new List<Target>();
            foreach (var (shedBeforeRouting, process) in services)
            {
                (await process.WaitUntilReadyAsync(control, ReadyTimeout, cancellationToken)).Dispose();
                var ids = await process.ListWidgetIdsAsync(control, process.ReadApiKey(), settings.DemoWidgets, cancellationToken);
                targets.Add(new Target(shedBeforeRouting, process, [.. ids.Select(id => new Uri(process.BaseAddress, $"/w/{id}"))],
                    BenchHttpClients.Load(settings.Connections, TimeSpan.FromSeconds(30))));
            }

            try
            {
                var rows = await MeasureAllAsync(targets, HttpStatusCode.OK, _ => "served embed (GET /w/{id}, 200)", settings.Requests, cancellationToken);
                await TakeShareAsync(cluster, cancellationToken);
                try
                {
                    foreach (var target in targets)
                    {
                        await WaitForShareZeroAsync(target.Load, target.Embeds[0], cancellationToken);
                    }

                    rows.AddRange(await MeasureAllAsync(
                        targets, HttpStatusCode.ServiceUnavailable,
                        t => t.ShedBeforeRouting ? "shed before routing (503)" : "shed after routing (503, the path before issue 15's change)",
                        settings.Requests * ShedMultiple, cancellationToken));
                }
                finally
                {
                    await GiveShareBackAsync(cluster);
                }

                return rows;
            }
            finally
            {
                foreach (var target in targets)
                {
                    target.Load.Dispose();
                }
            }
        }
        finally
        {
            foreach (var (_, process) in services)
            {
                if (!await process.StopAsync(StopGrace))
                {
                    Say($"a service did not stop within {StopGrace.TotalSeconds:0} s of SIGTERM: killed");
                }

                await process.DisposeAsync();
            }
        }
    }

    private ServiceProcess Start(PostgresCluster cluster, string dll, string work, bool shedBeforeRouting)
    {
        var name = shedBeforeRouting ? "before" : "after";
        var environment = new Dictionary<string, string>
        {
            ["Widgetify__Database__MigrationConnectionString"] = cluster.MigrationConnectionString,
            ["Widgetify__Admission__ShedBeforeRouting"] = shedBeforeRouting ? "true" : "false",
            // The share of 0 is the only shed measured: a CPU shed would refuse some of the served embeds it times, and the
            // "after routing" service would no longer be the path before issue 15's change.
            ["Widgetify__Admission__CpuShed"] = "false",
            ["Widgetify__Database__ApplicationName"] = $"widgetify-shed-{name}",
        };
        var data = Path.Combine(work, $"service-{name}");
        Directory.CreateDirectory(data);
        var launch = new ServiceLaunch(dll, cluster.AppConnectionString, FreePort.Pick(), data, settings.DemoWidgets,
            Path.Combine(settings.OutputDirectory, $"service-shed-{name}-routing.log"), environment);
        Say($"service with Admission:ShedBeforeRouting={(shedBeforeRouting ? "true" : "false")}");
        return ServiceProcess.Start(launch);
    }

    private async Task<List<ShedCostRow>> MeasureAllAsync(
        List<Target> targets, HttpStatusCode expected, Func<Target, string> what, int requests, CancellationToken cancellationToken)
    {
        foreach (var target in targets)
        {
            await LoopAsync(target.Load, target.Embeds, requests / 4, expected, cancellationToken); // warm-up: JIT, connections, caches
        }

        var loops = targets.ToDictionary(t => t, _ => new List<ShedCostRow>());
        for (var repeat = 0; repeat < Repeats; repeat++)
        {
            foreach (var target in targets)
            {
                loops[target].Add(await MeasureAsync(target, expected, what(target), requests, repeat, cancellationToken));
            }
        }

        // The median loop by idle-corrected CPU, with every loop's unexpected statuses.
        return [.. targets.Select(t => loops[t].OrderBy(l => l.MicrosecondsPerRequest).ElementAt(Repeats / 2) with { Unexpected = loops[t].Sum(l => l.Unexpected) })];
    }

    private async Task<ShedCostRow> MeasureAsync(Target target, HttpStatusCode expected, string what, int requests, int repeat, CancellationToken cancellationToken)
    {
        var service = target.Process;
        var idleFrom = service.CpuTime;
        await Task.Delay(IdleSample, cancellationToken); // the service's own timers, to be subtracted
        var idlePerSecond = (service.CpuTime - idleFrom).TotalSeconds / IdleSample.TotalSeconds;

        var cpuBefore = service.CpuTime;
        var wall = Stopwatch.StartNew();
        var unexpected = await LoopAsync(target.Load, target.Embeds, requests, expected, cancellationToken);
        wall.Stop();
        var cpu = (service.CpuTime - cpuBefore).TotalSeconds;
        var corrected = Math.Max(0, cpu - (idlePerSecond * wall.Elapsed.TotalSeconds));
        var loop = new ShedCostRow(what, target.ShedBeforeRouting, expected, requests, unexpected, wall.Elapsed.TotalSeconds, cpu, idlePerSecond,
            corrected / requests * 1e6, cpu / requests * 1e6);
        Say(F($"  ShedBeforeRouting {(target.ShedBeforeRouting ? "on" : "off")}, {what}, loop {repeat + 1}: {loop.MicrosecondsPerRequest:0.0} µs CPU/request ({loop.RawMicrosecondsPerRequest:0.0} before subtracting idle; {requests} requests in {loop.WallSeconds:0.00} s = {requests / loop.WallSeconds:0} req/s; service CPU {cpu:0.000} s, idle {idlePerSecond * 1000:0.0} ms/s; {unexpected} other statuses)"));
        return loop;
    }

    /// <summary>Sends <paramref name="count"/> requests from <see cref="ShedCostSettings.Connections"/> workers, each
    /// waiting for its answer (read whole) before the next; returns how many did not have <paramref name="expected"/>.</summary>
    private async Task<int> LoopAsync(HttpClient load, Uri[] targets, int count, HttpStatusCode expected, CancellationToken cancellationToken)
    {
        var next = -1;
        var unexpected = 0;
        var workers = Enumerable.Range(0, settings.Connections).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                using var response = await load.GetAsync(targets[i % targets.Length], HttpCompletionOption.ResponseContentRead, cancellationToken);
                if (response.StatusCode != expected)
                {
                    Interlocked.Increment(ref unexpected);
                }
            }
        });
        await Task.WhenAll(workers);
        return unexpected;
    }

    /// <summary>A lease that claims the whole budget for an instance that does not exist: the service's next heartbeat
    /// finds nothing left for itself and sets its share, and so the admission ceiling, to 0.</summary>
    private static async Task TakeShareAsync(PostgresCluster cluster, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(cluster.MigrationConnectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var insert = new NpgsqlCommand(
            "INSERT INTO widgetify_pool_leases (instance_id, instance_name, wanted, granted, renewed_at, expires_at) " +
            "VALUES (gen_random_uuid(), $1, 10000, 10000, clock_timestamp(), clock_timestamp() + interval '1 hour')", connection)
        {
            Parameters = { new() { Value = PhantomName } },
        };
        await insert.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task GiveShareBackAsync(PostgresCluster cluster)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(cluster.MigrationConnectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var delete = new NpgsqlCommand("DELETE FROM widgetify_pool_leases WHERE instance_name = $1", connection)
        {
            Parameters = { new() { Value = PhantomName } },
        };
        await delete.ExecuteNonQueryAsync();
    }

    /// <summary>Polls an embed (bounded) until the service sheds it: the heartbeat has applied the phantom lease.</summary>
    private static async Task WaitForShareZeroAsync(HttpClient load, Uri embed, CancellationToken cancellationToken)
    {
        var until = Stopwatch.GetTimestamp() + (long)(ShareZeroTimeout.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < until)
        {
            using var response = await load.GetAsync(embed, cancellationToken);
            if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
            {
                return;
            }

            await Task.Delay(100, cancellationToken);
        }

        throw new InvalidOperationException($"The service still served {embed} {ShareZeroTimeout.TotalSeconds:0} s after its connection share was taken.");
    }

    private async Task WriteAsync(IReadOnlyList<ShedCostRow> rows, string version, CancellationToken cancellationToken)
    {
        var text = Markdown(rows, version, settings);
        var path = Path.Combine(settings.OutputDirectory, "shed-cost.md");
        await File.WriteAllTextAsync(path, text, cancellationToken);
        await console.WriteAsync(text);
        Say($"wrote {path}");
    }

    internal static string Markdown(IReadOnlyList<ShedCostRow> rows, string version, ShedCostSettings settings)
    {
        var text = new StringBuilder();
        text.AppendLine(F($"`{settings.CommandLine}`, service {version}, {settings.Requests} served embeds per loop, {settings.Connections} closed-loop connections, {Environment.ProcessorCount} CPUs shared by the service, PostgreSQL and the load generator."));
        text.AppendLine();
        text.AppendLine(F($"Each row is the median of {Repeats} loops (by idle-corrected CPU); sheds ran {ShedMultiple}x as many requests as served embeds."));
        text.AppendLine();
        text.AppendLine("| run (ShedBeforeRouting) | request | requests | µs service CPU / request (idle subtracted) | µs raw | ratio to the served embed of the same run | req/s | other statuses |");
        text.AppendLine("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var run in rows.GroupBy(r => r.ShedBeforeRouting))
        {
            var served = run.First(r => r.Expected == HttpStatusCode.OK);
            foreach (var row in run)
            {
                text.AppendLine(F($"| {(row.ShedBeforeRouting ? "on" : "off")} | {row.What} | {row.Requests} | {row.MicrosecondsPerRequest:0.0} | {row.RawMicrosecondsPerRequest:0.0} | {row.MicrosecondsPerRequest / served.MicrosecondsPerRequest:0.000} | {row.Requests / row.WallSeconds:0} | {row.Unexpected} |"));
            }
        }

        return text.ToString();
    }

    private void Say(string message) => console.WriteLine($"shed-cost: {message}");

    private static string F(FormattableString value) => value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>One service under measurement and its own load connections.</summary>
internal sealed record Target(bool ShedBeforeRouting, ServiceProcess Process, Uri[] Embeds, HttpClient Load);

/// <summary>One measured loop.</summary>
internal sealed record ShedCostRow(
    string What, bool ShedBeforeRouting, HttpStatusCode Expected, int Requests, int Unexpected, double WallSeconds, double ServiceCpuSeconds,
    double IdleCpuPerSecond, double MicrosecondsPerRequest, double RawMicrosecondsPerRequest);
