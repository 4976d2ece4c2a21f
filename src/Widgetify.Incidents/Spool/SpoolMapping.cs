using Widgetify.Incidents.Persistence;
using Widgetify.Incidents.Timeline;

namespace Widgetify.Incidents.Spool;

/// <summary>Between the outbox's operations and the spool's records. The outbox's ops share <see cref="IncidentHandle"/>
/// objects by reference (an incident's id changes when it joins one already stored); the file refers to each by its
/// position, and loading gives the ops of one incident one handle again.</summary>
internal static class SpoolMapping
{
    public static SpoolSection ToSection(SpooledBatch spooled)
    {
        var handles = new List<SpoolHandle>();
        var positions = new Dictionary<IncidentHandle, int>(ReferenceEqualityComparer.Instance);
        int Position(IncidentHandle handle)
        {
            if (!positions.TryGetValue(handle, out var position))
            {
                position = handles.Count;
                positions[handle] = position;
                handles.Add(new SpoolHandle(handle.Id, handle.Joined));
            }

            return position;
        }

        var batch = spooled.Batch;
        var ops = new List<SpoolOp>(batch.Ops.Count + batch.States.Count + batch.Samples.Count);
        ops.AddRange(batch.Ops.Select(op => ToSpool(op, Position(op.Handle))));
        ops.AddRange(batch.States.Select(state => ToSpool(state, Position(state.Handle))));
        ops.AddRange(batch.Samples.Select(sample => ToSpool(sample, Position(sample.Handle))));
        return new SpoolSection { Instance = spooled.Instance, Handles = handles, Ops = ops };
    }

    /// <exception cref="InvalidDataException">An op names a handle, a status or an event kind that does not exist.</exception>
    public static SpooledBatch ToBatch(SpoolSection section)
    {
        var handles = section.Handles.Select(h => new IncidentHandle(h.Id) { Joined = h.Joined }).ToArray();
        var ops = new List<OutboxOp>();
        var states = new List<StateOp>();
        var samples = new List<SampleOp>();
        foreach (var op in section.Ops)
        {
            if (op.Handle < 0 || op.Handle >= handles.Length)
            {
                throw new InvalidDataException($"an op of instance {section.Instance} names incident #{op.Handle}, but the section lists {handles.Length}");
            }

            switch (FromSpool(op, handles[op.Handle]))
            {
                case StateOp state:
                    states.Add(state);
                    break;
                case SampleOp sample:
                    samples.Add(sample);
                    break;
                case var ordered:
                    ops.Add(ordered);
                    break;
            }
        }

        return new SpooledBatch(section.Instance, new OutboxBatch(ops, states, samples));
    }

    private static SpoolOp ToSpool(OutboxOp op, int handle) => op switch
    {
        OpenOp open => new SpoolOpenOp
        {
            Handle = handle,
            IncidentId = open.Incident.Id,
            Title = open.Incident.Title,
            ImpactStartedAt = open.Incident.ImpactStartedAt,
            DetectedAt = open.Incident.DetectedAt,
            DetectedBy = open.Incident.DetectedBy,
            DetectionSummary = open.Incident.DetectionSummary,
            Alerts = [.. open.Incident.Alerts],
            SloP99Seconds = open.SloP99Seconds,
            SloAvailability = open.SloAvailability,
        },
        EventOp e => new SpoolEventOp { Handle = handle, Event = ToSpool(e.Event), Opening = e.Opening },
        StateOp state => new SpoolStateOp { Handle = handle, State = ToSpool(state) },
        ResolveOp resolve => new SpoolResolveOp { Handle = handle, Final = ToSpool(resolve.Final), ResolvedAt = resolve.ResolvedAt, Event = ToSpool(resolve.Event) },
        LeaveOp leave => new SpoolLeaveOp { Handle = handle, Final = ToSpool(leave.Final), LeftAt = leave.LeftAt, Event = ToSpool(leave.Event) },
        PostmortemOp postmortem => new SpoolPostmortemOp { Handle = handle, Path = postmortem.Path, Event = ToSpool(postmortem.Event) },
        SampleOp sample => new SpoolSampleOp { Handle = handle, Sample = ToSpool(sample.Sample) },
        _ => throw new ArgumentOutOfRangeException(nameof(op), op.GetType().Name, "An outbox op the spool does not know: add it to SpoolDocument."),
    };

    private static OutboxOp FromSpool(SpoolOp op, IncidentHandle handle) => op switch
    {
        SpoolOpenOp open => new OpenOp(handle, new Incident
        {
            Id = open.IncidentId,
            Title = open.Title,
            Status = IncidentStatus.Open,
            ImpactStartedAt = open.ImpactStartedAt,
            DetectedAt = open.DetectedAt,
            DetectedBy = open.DetectedBy,
            DetectionSummary = open.DetectionSummary,
            Alerts = [.. open.Alerts],
        }, open.SloP99Seconds, open.SloAvailability),
        SpoolEventOp e => new EventOp(handle, FromSpool(e.Event), e.Opening),
        SpoolStateOp state => FromSpool(state.State, handle),
        SpoolResolveOp resolve => new ResolveOp(handle, FromSpool(resolve.Final, handle), resolve.ResolvedAt, FromSpool(resolve.Event)),
        SpoolLeaveOp leave => new LeaveOp(handle, FromSpool(leave.Final, handle), leave.LeftAt, FromSpool(leave.Event)),
        SpoolPostmortemOp postmortem => new PostmortemOp(handle, postmortem.Path, FromSpool(postmortem.Event)),
        SpoolSampleOp sample => new SampleOp(handle, FromSpool(sample.Sample)),
        _ => throw new InvalidDataException($"an op of type {op.GetType().Name} is not one this version writes"),
    };

    private static SpoolEvent ToSpool(IncidentEvent e) => new()
    {
        Id = e.Id,
        At = e.At,
        Kind = e.Kind.ToString(),
        Message = e.Message,
        Values = e.Values is null ? null : new Dictionary<string, double>(e.Values, StringComparer.Ordinal),
        Instance = e.Instance,
    };

    private static IncidentEvent FromSpool(SpoolEvent e) => new()
    {
        Id = e.Id,
        At = e.At,
        Kind = Enum.TryParse<IncidentEventKind>(e.Kind, ignoreCase: false, out var kind) && Enum.IsDefined(kind)
            ? kind
            : throw new InvalidDataException($"event {e.Id} has kind '{e.Kind}', which this version does not know"),
        Message = e.Message,
        Values = e.Values,
        Instance = e.Instance,
    };

    private static SpoolState ToSpool(StateOp state) => new()
    {
        Status = state.Status.ToDatabase(),
        MitigatedAt = state.MitigatedAt,
        Alerts = [.. state.Alerts],
        Impact = new SpoolImpact
        {
            Requests = state.Impact.Requests,
            Failed = state.Impact.Failed,
            Shed = state.Impact.Shed,
            ClientClosed = state.Impact.ClientClosed,
            Clients = state.Impact.Clients,
            ClientsAffected = state.Impact.ClientsAffected,
            ClientsCapped = state.Impact.ClientsCapped,
        },
    };

    private static StateOp FromSpool(SpoolState state, IncidentHandle handle) => new(
        handle,
        state.Status switch
        {
            "open" => IncidentStatus.Open,
            "mitigated" => IncidentStatus.Mitigated,
            "resolved" => IncidentStatus.Resolved,
            _ => throw new InvalidDataException($"a state has status '{state.Status}'; this version knows open, mitigated and resolved"),
        },
        state.MitigatedAt,
        [.. state.Alerts],
        new IncidentImpact
        {
            Requests = state.Impact.Requests,
            Failed = state.Impact.Failed,
            Shed = state.Impact.Shed,
            ClientClosed = state.Impact.ClientClosed,
            Clients = state.Impact.Clients,
            ClientsAffected = state.Impact.ClientsAffected,
            ClientsCapped = state.Impact.ClientsCapped,
        });

    private static SpoolSample ToSpool(IncidentSample s) => new()
    {
        At = s.At,
        Instance = s.Instance,
        Requests = s.Requests,
        Bad = s.Bad,
        Shed = s.Shed,
        ClientClosed = s.ClientClosed,
        P50 = s.P50,
        P99 = s.P99,
        ServedP99 = s.ServedP99,
        AdmissionLimit = s.AdmissionLimit,
        InFlight = s.InFlight,
        Queued = s.Queued,
        PoolUsed = s.PoolUsed,
        Share = s.Share,
        Pending = s.Pending,
        OpensWaited = s.OpensWaited,
        ServerConnections = s.ServerConnections,
        MaxConnections = s.MaxConnections,
        DatabaseUp = s.DatabaseUp,
        LongestTransactionSeconds = s.LongestTransactionSeconds,
        Deadlocks = s.Deadlocks,
        Rollbacks = s.Rollbacks,
        Commits = s.Commits,
    };

    private static IncidentSample FromSpool(SpoolSample s) => new()
    {
        At = s.At,
        Instance = s.Instance,
        Requests = s.Requests,
        Bad = s.Bad,
        Shed = s.Shed,
        ClientClosed = s.ClientClosed,
        P50 = s.P50,
        P99 = s.P99,
        ServedP99 = s.ServedP99,
        AdmissionLimit = s.AdmissionLimit,
        InFlight = s.InFlight,
        Queued = s.Queued,
        PoolUsed = s.PoolUsed,
        Share = s.Share,
        Pending = s.Pending,
        OpensWaited = s.OpensWaited,
        ServerConnections = s.ServerConnections,
        MaxConnections = s.MaxConnections,
        DatabaseUp = s.DatabaseUp,
        LongestTransactionSeconds = s.LongestTransactionSeconds,
        Deadlocks = s.Deadlocks,
        Rollbacks = s.Rollbacks,
        Commits = s.Commits,
    };
}
