namespace Widgetify.Incidents;

/// <summary>What an incident cost users, from the impact start to the resolution, summed over the instances.</summary>
public sealed record IncidentImpact
{
    /// <summary>No impact.</summary>
    public static IncidentImpact None { get; } = new();

    /// <summary>Completed requests.</summary>
    public long Requests { get; init; }

    /// <summary>Requests answered 5xx that were not shed.</summary>
    public long Failed { get; init; }

    /// <summary>Requests shed by admission control.</summary>
    public long Shed { get; init; }

    /// <summary>Requests whose client went away before the answer (status 499): clients that gave up. Their own
    /// class, never a failure of ours: in <see cref="Requests"/>, but neither in <see cref="Failed"/> nor in
    /// <see cref="FailedOrShedPercent"/>, and a client that only gave up is not in <see cref="ClientsAffected"/>.</summary>
    public long ClientClosed { get; init; }

    /// <summary>Failed and shed requests over all requests, in percent; 0 without requests.</summary>
    public double FailedOrShedPercent => Requests == 0 ? 0 : 100.0 * (Failed + Shed) / Requests;

    /// <summary>Distinct clients seen (summed over instances: a client that reached two instances counts twice).</summary>
    public long Clients { get; init; }

    /// <summary>Of those, clients that got at least one failed or shed response.</summary>
    public long ClientsAffected { get; init; }

    /// <summary>Affected clients over clients, in percent; 0 without clients.</summary>
    public double ClientsAffectedPercent => Clients == 0 ? 0 : 100.0 * ClientsAffected / Clients;

    /// <summary>Whether <see cref="IncidentOptions.ClientCap"/> was reached: the client counts are lower bounds.</summary>
    public bool ClientsCapped { get; init; }

    /// <summary>The sum of two instances' impacts.</summary>
    /// <param name="other">The other instance's impact.</param>
    public IncidentImpact Add(IncidentImpact other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return new IncidentImpact
        {
            Requests = Requests + other.Requests,
            Failed = Failed + other.Failed,
            Shed = Shed + other.Shed,
            ClientClosed = ClientClosed + other.ClientClosed,
            Clients = Clients + other.Clients,
            ClientsAffected = ClientsAffected + other.ClientsAffected,
            ClientsCapped = ClientsCapped || other.ClientsCapped,
        };
    }
}
