using Microsoft.AspNetCore.Http;

namespace Widgetify.Overload.AdmissionControl;

/// <summary>Names the tenant a request is admitted for, so that one tenant's burst is bounded by its share of the
/// admission limit instead of taking all of it (<see cref="AdmissionOptions.TenantShares"/>). The application registers
/// one in DI; without one, every request is in the one shared partition.</summary>
/// <remarks>Called for every request that reaches admission, after routing and before authentication, and for the ones
/// about to be shed as well: it must be cheap and must never do I/O (no database, no network). A key space a client
/// controls should be bounded (group unknown values under one key), since every active key is a partition the shares
/// are divided among.</remarks>
public interface IAdmissionPartitioner
{
    /// <summary>The partition key of <paramref name="context"/>'s request: equal keys share one share.</summary>
    /// <param name="context">The routed request (its endpoint and route values are known; its user is not).</param>
    /// <returns>The key; null for the shared partition.</returns>
    string? GetPartitionKey(HttpContext context);
}
