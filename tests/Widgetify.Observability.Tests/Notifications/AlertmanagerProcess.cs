using System.Diagnostics;
using System.Text;

namespace Widgetify.Observability.Tests.Notifications;

/// <summary>A real Alertmanager (Debian's prometheus-alertmanager) on a free loopback port, clustering off, a null
/// receiver, its storage in a temporary folder; killed and removed on dispose.</summary>
public sealed class AlertmanagerProcess : IAsyncDisposable
{
    public const string Binary = "/usr/bin/prometheus-alertmanager";

    private const string Config = """
        route:
          receiver: "null"
        receivers:
          - name: "null"
        """;

    private readonly Process _process;
    private readonly string _directory;
    private readonly StringBuilder _output = new();

    private AlertmanagerProcess(Process process, string directory, Uri url)
    {
        _process = process;
        _directory = directory;
        Url = url;
    }

    public Uri Url { get; }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static async Task<AlertmanagerProcess> StartAsync(HttpClient http)
    {
        if (!File.Exists(Binary))
        {
            throw new InvalidOperationException(
                $"{Binary} is missing: install Debian's Alertmanager with 'apt-get install -y prometheus-alertmanager' (./widgetify test does).");
        }

        var directory = Directory.CreateTempSubdirectory("widgetify-alertmanager-").FullName;
        var config = Path.Combine(directory, "alertmanager.yml");
        await File.WriteAllTextAsync(config, Config);
        var port = Widgetify.Postgres.FreePort.Pick();
        var start = new ProcessStartInfo(Binary)
        {
            ArgumentList =
            {
                $"--config.file={config}",
                $"--storage.path={Path.Combine(directory, "data")}",
                $"--web.listen-address=127.0.0.1:{port}",
                "--cluster.listen-address=",
            },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {Binary}.");
        var alertmanager = new AlertmanagerProcess(process, directory, new Uri($"http://127.0.0.1:{port}/"));
        process.OutputDataReceived += (_, e) => alertmanager.Append(e.Data);
        process.ErrorDataReceived += (_, e) => alertmanager.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await BoundedWait.UntilAsync(
                async () => !process.HasExited && await IsReadyAsync(http, alertmanager.Url),
                () => process.HasExited ? $"exited with {process.ExitCode}: {alertmanager.Output}" : alertmanager.Output,
                "Alertmanager answers /-/ready",
                TimeSpan.FromSeconds(30));
        }
        catch
        {
            await alertmanager.DisposeAsync();
            throw;
        }

        return alertmanager;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }

    private static async Task<bool> IsReadyAsync(HttpClient http, Uri url)
    {
        try
        {
            using var response = await http.GetAsync(new Uri(url, "-/ready"));
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }
}
