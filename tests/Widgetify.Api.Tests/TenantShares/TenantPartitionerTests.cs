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
    public void GetPartitionKey_EmbedOfWidgetWhoseTenantIsUnknown_IsTheWidget()
    {
        // Act
        var key = Partitioner().GetPartitionKey(Embed($"/w/{WidgetId}", WidgetId.ToString()));

        // Assert
        key.ShouldBe($"widget:{WidgetId}");
    }

    [Theory]
    [InlineData("/w/{0}")]
    [InlineData("/w/{0}/click")]
    [InlineData("/w/{0}/vote")]
    public void GetPartitionKey_EmbedOfWidgetWhoseTenantIsKnown_IsTheTenant(string path)
    {
        // Arrange
        _widgets.Known[WidgetId] = TenantId;

        // Act
        var key = Partitioner().GetPartitionKey(Embed(string.Format(System.Globalization.CultureInfo.InvariantCulture, path, WidgetId), WidgetId.ToString()));

        // Assert
        key.ShouldBe(TenantPartitioner.TenantKey(TenantId));
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
    public void GetPartitionKey_ApiKeyCachedAsValid_IsTheKeysTenant()
    {
        // Arrange
        var apiKey = ApiKey.Generate();
        _keys.RememberValid(_keys.Fingerprint(apiKey), new ApiKeyIdentity(TenantId, "acme", ApiKeyRole.Tenant, Guid.NewGuid()), _keys.Generation);

        // Act
        var key = Partitioner().GetPartitionKey(Api("Bearer " + apiKey));

        // Assert
        key.ShouldBe(TenantPartitioner.TenantKey(TenantId));
    }

    [Fact]
    public void GetPartitionKey_WellFormedKeyNotSeenYet_IsItsDisplayPrefix()
    {
        // Arrange
        var apiKey = ApiKey.Generate();

        // Act
        var key = Partitioner().GetPartitionKey(Api("Bearer " + apiKey));

        // Assert
        key.ShouldBe("key:" + ApiKey.DisplayPrefix(apiKey));
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
