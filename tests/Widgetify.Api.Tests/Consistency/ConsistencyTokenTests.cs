using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using NpgsqlTypes;
using Widgetify.Api.Consistency;
using Widgetify.Api.Tests.Infrastructure;
using Widgetify.Overload.Routing;

namespace Widgetify.Api.Tests.Consistency;

/// <summary>The <c>Widgetify-Consistency</c> contract over real HTTP: every write answers with the primary's WAL
/// position after its commit, signed, a read accepts it back, anything else in the header is a 400 problem, and the OpenAPI
/// document says so. Where a read with the token is served is <c>ReadRouterTests</c>' business (real standbys).</summary>
[Collection(SharedApiServer.Name)]
public sealed class ConsistencyTokenTests(ApiFixture fixture)
{
    private const string Header = "Widgetify-Consistency";

    [Fact]
    public async Task Writes_CreateUpdateDelete_EachAnswerWithAPositionAtOrPastTheirCommit()
    {
        // Arrange
        using var tenant = await fixture.Server.CreateTenantAsync();

        // Act
        using var created = await tenant.Http.PostAsJsonAsync("/api/widgets", new { name = "Votes", kind = "counter" });
        var createdToken = TokenOf(created);
        var afterCreate = await PrimaryInsertPositionAsync();
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        using var put = new HttpRequestMessage(HttpMethod.Put, $"/api/widgets/{id}") { Content = JsonContent.Create(new { name = "Votes 2", kind = "counter" }) };
        put.Headers.TryAddWithoutValidation("If-Match", "\"1\"");
        using var updated = await tenant.Http.SendAsync(put);
        var updatedToken = TokenOf(updated);
        using var deleted = await tenant.Http.DeleteAsync($"/api/widgets/{id}");
        var deletedToken = TokenOf(deleted);

        // Assert: each write's position covers its own commit and the positions only move forward
        created.StatusCode.ShouldBe(HttpStatusCode.Created);
        updated.StatusCode.ShouldBe(HttpStatusCode.OK);
        deleted.StatusCode.ShouldBe(HttpStatusCode.NoContent);
        createdToken.ShouldBeLessThanOrEqualTo(afterCreate);
        updatedToken.ShouldBeGreaterThan(createdToken);
        deletedToken.ShouldBeGreaterThan(updatedToken);
    }

    [Fact]
    public async Task Read_WithTheTokenItsWriteGot_SeesTheWrite_AndCarriesNoTokenItself()
    {
        // Arrange
        using var tenant = await fixture.Server.CreateTenantAsync();
        using var created = await tenant.Http.PostAsJsonAsync("/api/widgets", new { name = "Clock", kind = "clock" });
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        using var read = new HttpRequestMessage(HttpMethod.Get, $"/api/widgets/{id}");
        read.Headers.Add(Header, created.Headers.GetValues(Header).Single());

        // Act
        using var response = await tenant.Http.SendAsync(read);

        // Assert
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("name").GetString().ShouldBe("Clock");
        response.Headers.Contains(Header).ShouldBeFalse();
    }

    [Theory]
    [InlineData("latest")]
    [InlineData("3000148")]
    [InlineData("0/ZZ")]
    [InlineData("1/2/3")]
    [InlineData("0/3000148")] // a position without its signature: what a client of the release before signing was given
    [InlineData("0/3000148.")]
    [InlineData("0/3000148.not-base64url-at-all!!")]
    [InlineData("0/3000148.AAAAAAAAAAAAAAAAAAAAAA")]
    public async Task Read_WithMalformedToken_400ProblemNamingTheHeader(string value)
    {
        // Arrange
        using var tenant = await fixture.Server.CreateTenantAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/widgets");
        request.Headers.TryAddWithoutValidation(Header, value);

        // Act
        using var response = await tenant.Http.SendAsync(request);

        // Assert
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        (await response.Content.ReadAsStringAsync()).ShouldContain(Header);
    }

    [Fact]
    public async Task Embed_WithTwoTokenHeaders_400()
    {
        // Arrange
        using var client = fixture.Server.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/w/{Guid.CreateVersion7()}");
        request.Headers.TryAddWithoutValidation(Header, ["0/1", "0/2"]);

        // Act
        using var response = await client.SendAsync(request);

        // Assert
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }

    [Theory]
    [InlineData("embed")]
    [InlineData("api")]
    public async Task Read_WithATokenAlteredOrSignedByAnotherDeployment_400WithoutReadingThePrimary(string path)
    {
        // Arrange: the token of a real write, then the same position with a forged signature, a later position with the
        // write's signature (the forgery that used to cost a read of the primary's position), and a token another
        // deployment (another secret) signed
        using var tenant = await fixture.Server.CreateTenantAsync();
        using var created = await tenant.Http.PostAsJsonAsync("/api/widgets", new { name = "Hot", kind = "counter" });
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        var real = created.Headers.GetValues(Header).Single();
        var (position, signature) = (real[..real.IndexOf('.', StringComparison.Ordinal)], real[(real.IndexOf('.', StringComparison.Ordinal) + 1)..]);
        var near = new NpgsqlLogSequenceNumber((ulong)TokenOf(created) + (32UL << 20));
        var elsewhere = new ConsistencyTokenSigner();
        elsewhere.Use(RandomNumberGenerator.GetBytes(32));
        var forgeries = new[]
        {
            $"{position}.{(signature[0] == 'A' ? 'B' : 'A')}{signature[1..]}",
            $"{near}.{signature}",
            elsewhere.Sign(new ConsistencyToken(TokenOf(created))),
        };
        using var client = path == "embed" ? fixture.Server.CreateClient() : null;
        var http = client ?? tenant.Http;
        var url = path == "embed" ? $"/w/{id}" : $"/api/widgets/{id}";
        var watermark = fixture.Server.Services.GetRequiredService<PrimaryWalWatermark>();
        var readsBefore = watermark.Reads;

        foreach (var token in forgeries)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            request.Headers.Add(Header, token);

            // Act
            using var response = await http.SendAsync(request);

            // Assert
            response.StatusCode.ShouldBe(HttpStatusCode.BadRequest, token);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
            problem.GetProperty("title").GetString().ShouldBe("Invalid consistency token");
            problem.GetProperty("detail").GetString().ShouldNotBeNull().ShouldContain("signed");
        }

        using var genuine = new HttpRequestMessage(HttpMethod.Get, url);
        genuine.Headers.Add(Header, real);
        using var served = await http.SendAsync(genuine);
        served.StatusCode.ShouldBe(HttpStatusCode.OK, "the write's own token, unchanged");
        watermark.Reads.ShouldBe(readsBefore, "a forgery is refused on its signature, before any judging against the primary");
    }

    [Theory]
    [InlineData("embed")]
    [InlineData("api")]
    public async Task Read_WithATokenThePrimaryHasNotReached_400ProblemSaysWhyAndWhatToDo(string path)
    {
        // Arrange: tokens this deployment signed, yet past the primary's position now, as one handed out before the database
        // was restored to an earlier point would be: a gigabyte of WAL ahead, and the highest position there is
        using var tenant = await fixture.Server.CreateTenantAsync();
        using var created = await tenant.Http.PostAsJsonAsync("/api/widgets", new { name = "Hot", kind = "counter" });
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        var ahead = new NpgsqlLogSequenceNumber((ulong)await PrimaryInsertPositionAsync() + (1UL << 30));
        using var client = path == "embed" ? fixture.Server.CreateClient() : null;
        var http = client ?? tenant.Http;
        var url = path == "embed" ? $"/w/{id}" : $"/api/widgets/{id}";

        foreach (var token in new[] { fixture.Server.SignedToken(ahead.ToString()), fixture.Server.SignedToken("FFFFFFFF/FFFFFFFF") })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            request.Headers.Add(Header, token);

            // Act
            using var response = await http.SendAsync(request);

            // Assert
            response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
            response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
            problem.GetProperty("title").GetString().ShouldBe("Consistency token ahead of the database");
            problem.GetProperty("detail").GetString().ShouldNotBeNull().ShouldContain("Leave the header out");
        }
    }

    [Fact]
    public async Task Read_WithATokenOfAWriteThisInstanceDidNotMake_IsServed()
    {
        // Arrange: a write another instance of the fleet made, as far as this one knows: straight into the database, its
        // token read after the commit; this instance has seen no position that high
        using var tenant = await fixture.Server.CreateTenantAsync();
        using var created = await tenant.Http.PostAsJsonAsync("/api/widgets", new { name = "Elsewhere", kind = "counter" });
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        await using (var connection = new NpgsqlConnection(fixture.Postgres.ConnectionString))
        {
            await connection.OpenAsync();
            // A WAL record without a table of its own: nothing another test could see.
            await using var write = new NpgsqlCommand("SELECT pg_logical_emit_message(false, 'widgetify-test', 'a write elsewhere')", connection);
            await write.ExecuteNonQueryAsync();
        }

        var token = await PrimaryInsertPositionAsync();
        token.ShouldBeGreaterThan(TokenOf(created));
        var watermark = fixture.Server.Services.GetRequiredService<PrimaryWalWatermark>();
        var readsBefore = watermark.Reads;
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/w/{id}");
        request.Headers.Add(Header, fixture.Server.SignedToken(token.ToString())); // the fleet's instances share the secret

        // Act
        using var client = fixture.Server.CreateClient();
        using var response = await client.SendAsync(request);

        // Assert: served because the primary was asked and had reached it (not because it could not be asked)
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        watermark.Reads.ShouldBeGreaterThan(readsBefore, "the token was above everything this instance had seen");
        watermark.Known.ShouldBeGreaterThanOrEqualTo(token);
    }

    [Fact]
    public async Task OpenApi_WritesDocumentTheResponseHeader_ReadsTheRequestHeader()
    {
        // Arrange
        using var client = fixture.Server.CreateClient();
        using var document = JsonDocument.Parse(await client.GetStringAsync("/openapi/v1.json"));
        var paths = document.RootElement.GetProperty("paths");
        var collection = paths.TryGetProperty("/api/widgets", out var c) ? c : paths.GetProperty("/api/widgets/");

        // Act + Assert
        collection.GetProperty("post").GetProperty("responses").GetProperty("201").GetProperty("headers").TryGetProperty(Header, out _).ShouldBeTrue();
        paths.GetProperty("/api/widgets/{id}").GetProperty("put").GetProperty("responses").GetProperty("200").GetProperty("headers").TryGetProperty(Header, out _).ShouldBeTrue();
        foreach (var read in new[] { collection.GetProperty("get"), paths.GetProperty("/api/widgets/{id}").GetProperty("get"), paths.GetProperty("/w/{id}").GetProperty("get") })
        {
            read.GetProperty("parameters").EnumerateArray()
                .ShouldContain(p => p.GetProperty("name").GetString() == Header && p.GetProperty("in").GetString() == "header");
        }
    }

    /// <summary>The position a response's token names (the part before its signature).</summary>
    private static NpgsqlLogSequenceNumber TokenOf(HttpResponseMessage response)
    {
        var token = response.Headers.GetValues(Header).Single();
        return NpgsqlLogSequenceNumber.Parse(token[..token.IndexOf('.', StringComparison.Ordinal)]);
    }

    private async Task<NpgsqlLogSequenceNumber> PrimaryInsertPositionAsync()
    {
        await using var connection = new NpgsqlConnection(fixture.Postgres.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT pg_current_wal_insert_lsn()", connection);
        return (NpgsqlLogSequenceNumber)(await command.ExecuteScalarAsync())!;
    }
}
