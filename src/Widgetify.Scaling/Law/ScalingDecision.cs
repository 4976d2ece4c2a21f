namespace Widgetify.Scaling.Law;

/// <summary>What the law decided for one second.</summary>
/// <param name="Direction">Which way, or <see cref="ScalingDirection.None"/>.</param>
/// <param name="From">Standbys now.</param>
/// <param name="To">Standbys wanted; equals <paramref name="From"/> when nothing is to change.</param>
/// <param name="Reason">Which rule decided, naming the signal, its value and the settings involved.</param>
internal sealed record ScalingDecision(ScalingDirection Direction, int From, int To, string Reason)
{
    public static ScalingDecision None(int current, string reason) => new(ScalingDirection.None, current, current, reason);
}
