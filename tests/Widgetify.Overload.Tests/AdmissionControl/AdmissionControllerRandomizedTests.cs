using Microsoft.Extensions.Time.Testing;
using Widgetify.Overload.AdmissionControl;

namespace Widgetify.Overload.Tests.AdmissionControl;

/// <summary>Seeded random walks over the controller with tenant shares: acquires over ~200 partition keys at every
/// priority, releases, queue timeouts (the fake clock advanced), cancellations and connection shares of 0, checking after
/// every step what must always hold. Release builds compile the controller's <c>Debug.Assert</c> invariants out, so the
/// checks here go through <see cref="AdmissionController.GetStatistics"/> and the public answers only.</summary>
public sealed class AdmissionControllerRandomizedTests
{
    private const int Keys = 200;
    private const int Steps = 3_000;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public async Task RandomWalk_AcquireReleaseTimeoutCancel_InvariantsHoldAfterEveryStep(int seed)
    {
        // Arrange: a fixed limit of 8 and a queue of 16, so the queue fills, evicts and times out often
        var clock = new FakeTimeProvider();
        var random = new Random(seed);
        var options = new AdmissionOptions { InitialLimit = 8, MinLimit = 8, MaxLimit = 8, QueueCapacity = 16 };
        using var controller = new AdmissionController(options, clock, new Random(seed));
        var leases = new List<(string Key, AdmissionLease Lease)>();
        var pending = new List<(string Key, Task<AdmissionResult> Task, CancellationTokenSource Cancel)>();
        var shareZero = false;
        var probed = 0;

        // Act and assert, step by step
        for (var step = 0; step < Steps; step++)
        {
            var operation = random.Next(100);
            if (operation < 45)
            {
                var key = "t" + random.Next(Keys);
                var cancel = new CancellationTokenSource();
                var task = controller.AcquireAsync((RequestPriority)random.Next(4), key, cancel.Token).AsTask();
                pending.Add((key, task, cancel));
            }
            else if (operation < 70 && leases.Count > 0)
            {
                var index = random.Next(leases.Count);
                leases[index].Lease.Complete(random.Next(2) == 0 ? AdmissionOutcome.Succeeded : AdmissionOutcome.Ignored);
                leases.RemoveAt(index);
            }
            else if (operation < 88)
            {
                clock.Advance(TimeSpan.FromMilliseconds(random.Next(0, 40)));
            }
            else if (operation < 98 && pending.Count > 0)
            {
                await pending[random.Next(pending.Count)].Cancel.CancelAsync();
            }
            else if (operation >= 98)
            {
                shareZero = !shareZero;
                controller.SetCeiling(shareZero ? 0 : 8);
            }

            Harvest(pending, leases);
            probed += await AssertInvariantsAsync(controller, leases, pending, random, $"seed {seed}, step {step}");
        }

        // The end: everyone leaves
        foreach (var (_, _, cancel) in pending)
        {
            await cancel.CancelAsync();
        }

        Harvest(pending, leases);
        foreach (var (_, lease) in leases)
        {
            lease.Dispose();
        }

        leases.Clear();
        Harvest(pending, leases);
        foreach (var (_, lease) in leases)
        {
            lease.Dispose(); // granted to waiters as the last leases were released (only while their tokens had not fired)
        }

        var idle = controller.GetStatistics();
        idle.InFlight.ShouldBe(0);
        idle.Queued.ShouldBe(0);
        idle.ActivePartitions.ShouldBe(0, "an idle controller remembers no partition");
        probed.ShouldBeGreaterThan(0, "the walk reached states WouldRefuse refuses, and probed them");
    }

    /// <summary>Moves completed waiters out of <paramref name="pending"/>: admitted ones become leases.</summary>
    private static void Harvest(
        List<(string Key, Task<AdmissionResult> Task, CancellationTokenSource Cancel)> pending,
        List<(string Key, AdmissionLease Lease)> leases)
    {
        for (var i = pending.Count - 1; i >= 0; i--)
        {
            var (key, task, cancel) = pending[i];
            if (!task.IsCompleted)
            {
                continue;
            }

            if (task.Result.Lease is { } lease)
            {
                leases.Add((key, lease));
            }

            cancel.Dispose();
            pending.RemoveAt(i);
        }
    }

    /// <returns>How many refusals WouldRefuse announced and the probes confirmed.</returns>
    private static async Task<int> AssertInvariantsAsync(
        AdmissionController controller,
        List<(string Key, AdmissionLease Lease)> leases,
        List<(string Key, Task<AdmissionResult> Task, CancellationTokenSource Cancel)> pending,
        Random random,
        string where)
    {
        var statistics = controller.GetStatistics();
        statistics.InFlight.ShouldBe(leases.Count, where);
        statistics.Queued.ShouldBe(pending.Count, where);
        statistics.ActivePartitions.ShouldBeLessThanOrEqualTo(statistics.InFlight + statistics.Queued, $"{where}: only active partitions are remembered");
        var activeKeys = leases.Select(l => l.Key).Concat(pending.Select(p => p.Key)).Distinct().Count();
        statistics.ActivePartitions.ShouldBe(activeKeys, $"{where}: one partition per active key");

        var probed = 0;

        // Whatever WouldRefuse says "refused" to, AcquireAsync refuses at once: for a key new to the controller and for
        // one it holds (which may have waiters of its own, so is never likelier to get in).
        for (var priority = RequestPriority.Critical; priority <= RequestPriority.Background; priority++)
        {
            if (!controller.WouldRefuse(priority, out var reason))
            {
                continue;
            }

            var existing = leases.Select(l => l.Key).Concat(pending.Select(p => p.Key)).ToList();
            List<string> keys = ["new-key"];
            if (existing.Count > 0)
            {
                keys.Add(existing[random.Next(existing.Count)]);
            }

            foreach (var key in keys)
            {
                var probe = controller.AcquireAsync(priority, key, CancellationToken.None).AsTask();
                probe.IsCompleted.ShouldBeTrue($"{where}: WouldRefuse({priority}) said {reason}, yet {key} was queued");
                var result = await probe;
                result.IsAdmitted.ShouldBeFalse($"{where}: WouldRefuse({priority}) said {reason}, yet {key} was admitted");
                result.Reason.ShouldBe(reason, $"{where}: {key} at {priority}");
                probed++;
            }
        }

        return probed;
    }
}
