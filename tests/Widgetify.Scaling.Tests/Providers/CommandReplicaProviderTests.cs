using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Widgetify.Scaling.Providers;

namespace Widgetify.Scaling.Tests.Providers;

public sealed class CommandReplicaProviderTests : IDisposable
{
    private readonly TestScripts scripts = new();

    public void Dispose() => scripts.Dispose();

    private static CommandReplicaProvider Provider(string path, TimeProvider? time = null, params string[] arguments) =>
        new(new ScalingCommandOptions { Path = path, Arguments = arguments, Timeout = TimeSpan.FromMinutes(5) }, time ?? new FakeTimeProvider());

    [Fact]
    public async Task ApplyAsync_Always_SendsTheDocumentedJsonOnStandardInput()
    {
        // Arrange
        var received = scripts.PathOf("action.json");
        var provider = Provider(scripts.Write($"cat > '{received}'"));

        // Act
        await provider.ApplyAsync(Actions.Out(), CancellationToken.None);

        // Assert
        using var document = JsonDocument.Parse(File.ReadAllText(received));
        var root = document.RootElement;
        root.GetProperty("version").GetInt32().ShouldBe(1);
        root.GetProperty("direction").GetString().ShouldBe("out");
        root.GetProperty("currentReplicas").GetInt32().ShouldBe(1);
        root.GetProperty("desiredReplicas").GetInt32().ShouldBe(2);
        root.GetProperty("minReplicas").GetInt32().ShouldBe(1);
        root.GetProperty("maxReplicas").GetInt32().ShouldBe(4);
        root.GetProperty("reason").GetString().ShouldBe("saturation above 1 in 10 of the last 10 s");
        root.GetProperty("at").GetString().ShouldBe("2025-03-01T12:00:05+00:00");
        root.GetProperty("attempt").GetInt32().ShouldBe(1);
        var signals = root.GetProperty("signals");
        signals.GetProperty("readPoolUtilization").GetDouble().ShouldBe(0.96);
        signals.GetProperty("readShedRatio").GetDouble().ShouldBe(0.01);
        signals.GetProperty("cpuUtilization").ValueKind.ShouldBe(JsonValueKind.Null);
        signals.GetProperty("liveReplicas").GetInt32().ShouldBe(1);
    }

    [Fact]
    public async Task ApplyAsync_ConfiguredArguments_PassedOneByOne()
    {
        // Arrange
        var received = scripts.PathOf("args.txt");
        var provider = Provider(scripts.Write($"printf '%s\\n' \"$@\" > '{received}'"), null, "--cluster", "two words", "$HOME");

        // Act
        await provider.ApplyAsync(Actions.Out(), CancellationToken.None);

        // Assert: no shell splitting or expansion
        File.ReadAllLines(received).ShouldBe(["--cluster", "two words", "$HOME"]);
    }

    [Fact]
    public async Task ApplyAsync_ExitZeroWithEndpoints_SucceedsWithThemAndTheCount()
    {
        // Arrange
        var provider = Provider(scripts.Write("""
            cat > /dev/null
            echo 'patching' >&2
            echo '{"replicas":2,"endpoints":[{"name":"pg-ro","connectionString":"Host=pg-ro;Port=5432"}]}'
            """));

        // Act
        var result = await provider.ApplyAsync(Actions.Out(), CancellationToken.None);

        // Assert
        result.Succeeded.ShouldBeTrue(result.Message);
        result.Endpoints.ShouldBe([new ReadEndpoint("pg-ro", "Host=pg-ro;Port=5432")]);
        result.Replicas.ShouldBe(2);
        result.Message.ShouldContain("standbys: 2; endpoints: pg-ro");
    }

    [Fact]
    public async Task ApplyAsync_ExitZeroWithoutOutput_SucceedsWithoutEndpoints()
    {
        // Arrange: a command that does not read its input at all
        var provider = Provider(scripts.Write("exit 0"));

        // Act
        var result = await provider.ApplyAsync(Actions.Out(), CancellationToken.None);

        // Assert
        result.Succeeded.ShouldBeTrue(result.Message);
        result.Endpoints.ShouldBeNull();
        result.Replicas.ShouldBeNull();
    }

    [Fact]
    public async Task ApplyAsync_ExitZeroWithProgressOnStandardOutput_SucceedsButSaysTheEndpointsAreUnknown()
    {
        // Arrange
        var provider = Provider(scripts.Write("echo 'cluster.postgresql.cnpg.io/pg patched'"));

        // Act
        var result = await provider.ApplyAsync(Actions.Out(), CancellationToken.None);

        // Assert: the action happened; only its report is unusable
        result.Succeeded.ShouldBeTrue();
        result.Endpoints.ShouldBeNull();
        result.Message.ShouldContain("not the documented JSON");
        result.Message.ShouldContain("cluster.postgresql.cnpg.io/pg patched");
    }

    [Fact]
    public async Task ApplyAsync_NonZeroExit_FailsWithTheLastLinesOfStandardError()
    {
        // Arrange: 30 lines of standard error; the last 20 are kept
        var provider = Provider(scripts.Write("""
            for i in $(seq 1 30); do echo "line $i" >&2; done
            exit 3
            """));

        // Act
        var result = await provider.ApplyAsync(Actions.Out(), CancellationToken.None);

        // Assert
        result.Succeeded.ShouldBeFalse();
        result.Message.ShouldContain("exited with code 3");
        result.Message.ShouldContain("line 30");
        result.Message.ShouldContain("line 11");
        result.Message.ShouldNotContain("line 10\n");
    }

    [Fact]
    public async Task ApplyAsync_ExecutableMissing_FailsNamingTheSetting()
    {
        // Arrange
        var provider = Provider(scripts.PathOf("no-such-script.sh"));

        // Act
        var result = await provider.ApplyAsync(Actions.Out(), CancellationToken.None);

        // Assert
        result.Succeeded.ShouldBeFalse();
        result.Message.ShouldContain("Widgetify:Scaling:Command:Path");
    }

    [Fact]
    public async Task ApplyAsync_RunsPastTheTimeout_KilledAndFailedNamingTheSetting()
    {
        // Arrange: the child writes its pid, then sleeps as a cloud API would hang
        var pid = scripts.PathOf("pid");
        var time = new TimerCountingFakeTimeProvider();
        var provider = Provider(scripts.Write($"echo 'waiting for the cloud' >&2; sleep 600 & echo $! > '{pid}'; wait"), time);
        var applying = provider.ApplyAsync(Actions.Out(), CancellationToken.None);
        await BoundedWait.UntilAsync(
            () => time.ArmedTimers == 1 && File.Exists(pid) && new FileInfo(pid).Length > 0,
            () => $"{time.ArmedTimers} timer(s), applying {applying.Status}", "the command runs and its timeout is armed");

        // Act
        time.Advance(TimeSpan.FromMinutes(5));
        var result = await applying;

        // Assert: the whole tree is gone, the sleeping grandchild included
        result.Succeeded.ShouldBeFalse();
        result.Message.ShouldContain("did not finish within 00:05:00 (Widgetify:Scaling:Command:Timeout)");
        result.Message.ShouldContain("waiting for the cloud");
        var sleeper = int.Parse(File.ReadAllText(pid).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        await BoundedWait.UntilAsync(() => !Directory.Exists($"/proc/{sleeper}"), () => $"pid {sleeper} alive", "the grandchild is killed");
    }

    [Fact]
    public async Task ApplyAsync_Cancelled_KillsTheCommandAndThrows()
    {
        // Arrange
        var time = new TimerCountingFakeTimeProvider();
        var provider = Provider(scripts.Write("exec sleep 600"), time);
        using var cancellation = new CancellationTokenSource();
        var applying = provider.ApplyAsync(Actions.Out(), cancellation.Token);
        await BoundedWait.UntilAsync(() => time.ArmedTimers == 1, () => applying.Status.ToString(), "the command runs");

        // Act
        await cancellation.CancelAsync();

        // Assert
        await Should.ThrowAsync<OperationCanceledException>(applying);
    }
}
