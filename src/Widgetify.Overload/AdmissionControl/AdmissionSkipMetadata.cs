using Microsoft.AspNetCore.Http;

namespace Widgetify.Overload.AdmissionControl;

/// <summary>Endpoint metadata: a request to this endpoint skips admission when <see cref="ServedWithoutDatabase"/> says
/// it will be answered without database work (a widget held in memory). Admission bounds concurrent database work; a
/// request that does none would only hold a slot that a database-bound request needs, and in a storm that mixes cached
/// embeds with reads and writes the slots filled with embeds waiting for a processor (docs/overload.md, 2.7b).</summary>
/// <param name="ServedWithoutDatabase">Cheap and side-effect free: it runs on every request to the endpoint, and before
/// routing too when the pre-routing shed is about to refuse one (<see cref="PreRoutingShedOptions.ServedWithoutDatabase"/>).
/// A false "yes" lets one request do database work without a slot (the connection share still bounds it); a false
/// "no" only makes it wait for a slot as before.</param>
public sealed record AdmissionSkipMetadata(Func<HttpContext, bool> ServedWithoutDatabase);
