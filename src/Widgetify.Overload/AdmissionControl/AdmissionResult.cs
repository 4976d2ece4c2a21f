namespace Widgetify.Overload.AdmissionControl;

/// <summary>The answer of <see cref="AdmissionController.AcquireAsync(RequestPriority, string?, CancellationToken)"/>: a lease, or the reason the request was
/// not admitted and how long its client should wait before retrying.</summary>
/// <param name="Lease">The slot to release when the work ends; null when rejected.</param>
/// <param name="Reason"><see cref="RejectionReason.None"/> when admitted, otherwise why not.</param>
/// <param name="RetryAfter">For a rejection, the jittered <c>Retry-After</c> to send; zero when admitted.</param>
public readonly record struct AdmissionResult(AdmissionLease? Lease, RejectionReason Reason, TimeSpan RetryAfter)
{
    /// <summary>True when the request holds a lease and may run.</summary>
    public bool IsAdmitted => Lease is not null;

    internal static AdmissionResult Admitted(AdmissionLease lease) => new(lease, RejectionReason.None, TimeSpan.Zero);
}
