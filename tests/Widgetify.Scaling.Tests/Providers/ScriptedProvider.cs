using Widgetify.Scaling.Providers;

namespace Widgetify.Scaling.Tests.Providers;

/// <summary>A provider that answers each attempt with the next scripted result (the last one repeats) and records the
/// attempts it was given. <see cref="Gate"/>, when set, holds each attempt until the test completes it.</summary>
internal sealed class ScriptedProvider(params ScalingActionResult[] results) : IReplicaProvider
{
    private readonly Lock sync = new();
    private readonly List<ScalingAction> attempts = [];

    public Exception? ThrowFirst { get; set; }

    public TaskCompletionSource? Gate { get; set; }

    public IReadOnlyList<ScalingAction> Attempts
    {
        get
        {
            lock (sync)
            {
                return [.. attempts];
            }
        }
    }

    public async Task<ScalingActionResult> ApplyAsync(ScalingAction action, CancellationToken cancellationToken)
    {
        int index;
        lock (sync)
        {
            attempts.Add(action);
            index = attempts.Count - 1;
        }

        if (Gate is { } gate)
        {
            await gate.Task.WaitAsync(cancellationToken);
        }

        if (index == 0 && ThrowFirst is { } exception)
        {
            throw exception;
        }

        return results[Math.Min(index - (ThrowFirst is null ? 0 : 1), results.Length - 1)];
    }
}
