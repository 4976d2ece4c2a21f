// Closed-loop load on GET /w/{id} over uniformly random ids, for the rendered-widget cache benchmark
// (bench/embed-cache/run.sh, docs/benchmarks.md). Usage: dotnet run EmbedLoad.cs -- BASE_URL IDS_FILE SECONDS CONNECTIONS
using System.Diagnostics;
using System.Globalization;

var baseUrl = new Uri(args[0]);
var ids = File.ReadAllLines(args[1]).Where(l => l.Length > 0).ToArray();
var seconds = int.Parse(args[2], CultureInfo.InvariantCulture);
var connections = int.Parse(args[3], CultureInfo.InvariantCulture);
using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = connections, UseCookies = false }) { BaseAddress = baseUrl };
var end = Stopwatch.GetTimestamp() + (seconds * Stopwatch.Frequency);
var latencies = new List<double>[connections];
var statuses = new Dictionary<int, long>[connections];
var workers = Enumerable.Range(0, connections).Select(async w =>
{
    var random = new Random(w); // seeded: every configuration sees the same sequence of ids
    var mine = latencies[w] = new List<double>(100_000);
    var codes = statuses[w] = [];
    while (Stopwatch.GetTimestamp() < end)
    {
        var started = Stopwatch.GetTimestamp();
        int status;
        try
        {
            using var response = await http.GetAsync($"/w/{ids[random.Next(ids.Length)]}", HttpCompletionOption.ResponseContentRead);
            status = (int)response.StatusCode;
        }
        catch (HttpRequestException)
        {
            status = 0;
        }

        mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        codes[status] = codes.GetValueOrDefault(status) + 1;
    }
}).ToArray();
await Task.WhenAll(workers);
var all = latencies.SelectMany(l => l).Order().ToArray();
var byStatus = statuses.SelectMany(s => s).GroupBy(kv => kv.Key).ToDictionary(g => g.Key, g => g.Sum(kv => kv.Value));
double P(double q) => all.Length == 0 ? 0 : all[Math.Min(all.Length - 1, (int)(q * all.Length))];
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"requests {all.Length} rps {all.Length / (double)seconds:F0} p50 {P(0.50):F2} ms p99 {P(0.99):F2} ms statuses {string.Join(' ', byStatus.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key}:{kv.Value}"))}"));
