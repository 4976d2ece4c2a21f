namespace Widgetify.Bench.Load;

/// <summary>The requests of the storm's traffic mix.</summary>
internal enum RequestKind
{
    /// <summary><c>GET /w/{id}</c>: a site visitor's embed, no key (80%).</summary>
    Embed = 0,

    /// <summary><c>GET /api/widgets/{id}</c> with the key (10%).</summary>
    ApiGet = 1,

    /// <summary><c>GET /api/widgets?limit=20</c> with the key (5%).</summary>
    ApiList = 2,

    /// <summary><c>POST /api/widgets</c>, a small counter widget (5%).</summary>
    ApiCreate = 3,

    /// <summary><c>POST /w/{id}/vote</c> on a poll, a new visitor each time: a viral poll's write storm, each vote
    /// acknowledged only after its group commit (5%).</summary>
    Vote = 4,

    /// <summary><c>PUT /api/widgets/{id}</c> of a counter widget with the key and <c>If-Match: *</c> (the writes storm):
    /// a replace that never conflicts, so every one is a real write.</summary>
    ApiUpdate = 5,
}
