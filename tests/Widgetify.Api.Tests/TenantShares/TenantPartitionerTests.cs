using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Widgetify.Api.Auth;
using Widgetify.Api.Data;
using Widgetify.Api.TenantShares;
using Widgetify.Core.Traffic;

namespace Widgetify.Api.Tests.TenantShares;

public sealed class TenantPartitionerTests
{
    private static readonly Guid WidgetId = Guid.Parse("0193b2c4-5d6e-7f80-9a1b-2c3d4e5f6a7b");
    private static readonly Guid TenantId = Guid.Parse("11111111-2222-3333-4444-555555555555");

    private readonly ApiKeyCache _keys = new(new FakeTimeProvider(), Options.Create(new WidgetifyOptions()));
    private readonly StubLookup _widgets = new();

    [Fact]
    public void GetPartitionKey_EmbedOfWidgetWhoseTenantIsUnknown_IsTheUncachedWidgetsPartition()
    {
        // Act
        var key = Partitioner().GetPartitionKey(Embed($"/w/{WidgetId}", WidgetId.ToString()));

        // Assert
        key.ShouldBe(TenantPartitioner.UncachedWidgets);
    }

    [Fact]
    public void GetPartitionKey_ManyMadeUpWidgetIdsAndCaseVariants_ShareOnePartition()
    {
        // Arrange: a client choosing ids at will, upper-case spellings of a real id included
        var ids = Enumerable.Range(0, 100).Select(_ => Guid.NewGuid().ToString())
            .Append(WidgetId.ToString().ToUpperInvariant()).Append(WidgetId.ToString());

        // Act
        var keys = ids.Select(id => Partitioner().GetPartitionKey(Embed($"/w/{id}", id))).Distinct().ToList();

        // Assert: one partition, so made-up ids cannot squeeze real tenants' shares by multiplying partitions
        keys.ShouldBe([TenantPartitioner.UncachedWidgets]);
    }

    [Fact]
    public void GetPartitionKey_EmbedAndApiCallOfOneTenant_AreSeparatePartitions()
    {
        // Arrange: the tenant's widget is cached, and its key is cached as valid
        _widgets.Known[WidgetId] = TenantId;
        var apiKey = ApiKey.Generate();
        _keys.RememberValid(_keys.Fingerprint(apiKey), new ApiKeyIdentity(TenantId, "acme", ApiKeyRole.Tenant, Guid.NewGuid()), _keys.Generation);

        // Act
        var embed = Partitioner().GetPartitionKey(Embed($"/w/{WidgetId}", WidgetId.ToString()));
        var api = Partitioner().GetPartitionKey(Api("Bearer " + apiKey));

        // Assert: a visitors' flood of the tenant's embeds does not share the owner's API calls' partition
        embed.ShouldBe(TenantPartitioner.EmbedsKey(TenantId));
        api.ShouldBe(TenantPartitioner.ApiCallsKey(TenantId));
        embed.ShouldNotBe(api);
    }

    [Theory]
    [InlineData("/w/{0}")]
    [InlineData("/w/{0}/click")]
    [InlineData("/w/{0}/vote")]
    public void GetPartitionKey_EmbedOfWidgetWhoseTenantIsKnown_IsTheTenantsEmbeds(string path)
    {
        // Arrange
        _widgets.Known[WidgetId] = TenantId;

        // Act
        var key = Partitioner().GetPartitionKey(Embed(string.Format(System.Globalization.CultureInfo.InvariantCulture, path, WidgetId), WidgetId.ToString()));

        // Assert
        key.ShouldBe(TenantPartitioner.EmbedsKey(TenantId));
    }

    [Fact]
    public void GetPartitionKey_EmbedWithIdThatIsNotAUuid_SharesOnePartition()
    {
        // Act
        var first = Partitioner().GetPartitionKey(Embed("/w/abc", "abc"));
        var second = Partitioner().GetPartitionKey(Embed("/w/xyz", "xyz"));

        // Assert
        first.ShouldBe(TenantPartitioner.InvalidWidgetIds);
        second.ShouldBe(TenantPartitioner.InvalidWidgetIds);
    }

    [Fact]
    public void GetPartitionKey_ApiKeyCachedAsValid_IsTheKeysTenantsApiCalls()
    {
        // Arrange
        var apiKey = ApiKey.Generate();
        _keys.RememberValid(_keys.Fingerprint(apiKey), new ApiKeyIdentity(TenantId, "acme", ApiKeyRole.Tenant, Guid.NewGuid()), _keys.Generation);

        // Act
        var key = Partitioner().GetPartitionKey(Api("Bearer " + apiKey));

        // Assert
        key.ShouldBe(TenantPartitioner.ApiCallsKey(TenantId));
    }

    [Fact]
    public void GetPartitionKey_WellFormedKeysNotSeenYet_ShareTheUnverifiedKeysPartition()
    {
        // Arrange: keys anyone could make up, never verified
        var first = ApiKey.Generate();
        var second = ApiKey.Generate();

        // Act
        var firstKey = Partitioner().GetPartitionKey(Api("Bearer " + first));
        var secondKey = Partitioner().GetPartitionKey(Api("Bearer " + second));

        // Assert
        firstKey.ShouldBe(TenantPartitioner.UnverifiedKeys);
        secondKey.ShouldBe(TenantPartitioner.UnverifiedKeys);
    }

    [Theory]
    [InlineData("Bearer not-a-key")]
    [InlineData("Basic dXNlcjpwYXNz")]
    public void GetPartitionKey_MalformedAuthorization_IsRefusedKeys(string authorization)
    {
        // Act
        var key = Partitioner().GetPartitionKey(Api(authorization));

        // Assert
        key.ShouldBe(TenantPartitioner.RefusedKeys);
    }

    [Fact]
    public void GetPartitionKey_KeyCachedAsRefused_IsRefusedKeys()
    {
        // Arrange
        var apiKey = ApiKey.Generate();
        _keys.RememberRejected(_keys.Fingerprint(apiKey), new ApiKeyRejection(ApiKeyRejectionReason.Unknown), _keys.Generation);

        // Act
        var key = Partitioner().GetPartitionKey(Api("Bearer " + apiKey));

        // Assert
        key.ShouldBe(TenantPartitioner.RefusedKeys);
    }

    [Fact]
    public void GetPartitionKey_NoKey_IsAnonymous()
    {
        // Act
        var key = Partitioner().GetPartitionKey(Api(null));

        // Assert
        key.ShouldBe(TenantPartitioner.Anonymous);
    }

    [Fact]
    public void GetPartitionKey_OperatorsEndpoint_IsOperators()
    {
        // Arrange
        var context = Api(null);
        context.SetEndpoint(new Endpoint(null, new EndpointMetadataCollection(OperatorEndpointMetadata.Instance), "ready"));

        // Act
        var key = Partitioner().GetPartitionKey(context);

        // Assert
        key.ShouldBe(TenantPartitioner.Operators);
    }

    private TenantPartitioner Partitioner() => new(_widgets, _keys);

    private static DefaultHttpContext Embed(string path, string id)
    {
        var context = new DefaultHttpContext();
        context.Request.Path = path;
        context.Request.RouteValues["id"] = id;
        return context;
    }

    private static DefaultHttpContext Api(string? authorization)
    {
        var context = new DefaultHttpContext();
        context.Request.Path = "/api/widgets";
        if (authorization is not null)
        {
            context.Request.Headers.Authorization = authorization;
        }

        return context;
    }

    private sealed class StubLookup : IWidgetTenantLookup
    {
        public Dictionary<Guid, Guid> Known { get; } = [];

        public bool TryGetTenant(Guid widgetId, out Guid tenantId) => Known.TryGetValue(widgetId, out tenantId);
    }
}
