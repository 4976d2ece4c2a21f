namespace Widgetify.Overload.AdmissionControl;

/// <summary>How important a unit of database work is. Under overload, lower priorities are shed first:
/// a visitor's view count can wait, a site owner's write should not, and the load balancer's health probe
/// must get through or a healthy instance is taken out of rotation.</summary>
public enum RequestPriority
{
    /// <summary>Health probes: always served while any capacity exists.</summary>
    Critical = 0,

    /// <summary>Writes of the management API (create, update, delete).</summary>
    Write = 1,

    /// <summary>Reads: the public embed <c>/w/{id}</c> and management API reads.</summary>
    Read = 2,

    /// <summary>Deferred background work such as writing buffered view counts.</summary>
    Background = 3,
}
