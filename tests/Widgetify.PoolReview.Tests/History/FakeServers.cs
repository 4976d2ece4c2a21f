using Widgetify.PoolReview.History;

namespace Widgetify.PoolReview.Tests.History;

/// <summary>Standbys' pools as a test sets them before each second.</summary>
internal sealed class FakeServers : IServerPoolSource
{
    public IReadOnlyList<ServerPoolGauge> Now { get; set; } = [];

    public IReadOnlyList<ServerPoolGauge> GetServers() => Now;
}
