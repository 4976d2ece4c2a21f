using System.Net;
using System.Text.Json;
using Npgsql;

namespace Widgetify.Api.Tests.Polls;

/// <summary>A visitor's browser, reduced to what a poll needs: no automatic redirects (the 303 is checked) and the
/// visitor cookie sent only when the test says so.</summary>
public static class PollHttp
{
    public static HttpClient CreateVisitorClient(Uri baseAddress) =>
        new(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false, MaxConnectionsPerServer = 256 })
        {
            BaseAddress = baseAddress,
            Timeout = TimeSpan.FromSeconds(60),
        };

    /// <summary>POSTs a vote as the embed's form does; <paramref name="option"/> is sent verbatim.</summary>
    public static async Task<HttpResponseMessage> VoteAsync(
        this HttpClient http, Guid pollId, string option, string? cookie = null, string? visitorField = null, bool json = false)
    {
        var fields = new List<KeyValuePair<string, string>> { new("option", option) };
        if (visitorField is not null)
        {
            fields.Add(new("visitor", visitorField));
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, $"/w/{pollId}/vote") { Content = new FormUrlEncodedContent(fields) };
        if (cookie is not null)
        {
            request.Headers.Add("Cookie", $"widgetify_visitor={cookie}");
        }

        if (json)
        {
            request.Headers.Add("Accept", "application/json");
        }

        return await http.SendAsync(request);
    }

    /// <summary>Votes with Accept: application/json and asserts 200; returns the results document.</summary>
    public static async Task<JsonElement> VoteJsonAsync(this HttpClient http, Guid pollId, int option, string visitor)
    {
        using var response = await http.VoteAsync(pollId, option.ToString(System.Globalization.CultureInfo.InvariantCulture), cookie: visitor, json: true);
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>GET /w/{id} as a visitor (with their cookie, if any).</summary>
    public static async Task<HttpResponseMessage> GetEmbedAsync(this HttpClient http, Guid pollId, string? cookie = null, bool json = false)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/w/{pollId}");
        if (cookie is not null)
        {
            request.Headers.Add("Cookie", $"widgetify_visitor={cookie}");
        }

        if (json)
        {
            request.Headers.Add("Accept", "application/json");
        }

        return await http.SendAsync(request);
    }

    /// <summary>The visitor token a response set in its cookie, or null.</summary>
    public static string? VisitorCookie(this HttpResponseMessage response) =>
        response.Headers.TryGetValues("Set-Cookie", out var cookies)
            ? cookies.Select(c => c.Split(';')[0]).Where(c => c.StartsWith("widgetify_visitor=", StringComparison.Ordinal))
                .Select(c => c["widgetify_visitor=".Length..]).FirstOrDefault()
            : null;

    /// <summary>A fresh visitor token of the embed's form (the service accepts any 16-64 URL-safe characters).</summary>
    public static string NewVisitor() => Guid.NewGuid().ToString("N");

    /// <summary>A poll's results (the answer to a vote, or its JSON embed) as (option, votes), in the owner's order.</summary>
    public static (string Option, long Votes)[] VotesOf(JsonElement results) =>
        [.. results.GetProperty("results").EnumerateArray().Select(r => (r.GetProperty("option").GetString()!, r.GetProperty("votes").GetInt64()))];

    /// <summary>Reads one number straight from PostgreSQL, as the service's own role.</summary>
    public static async Task<long> ScalarAsync(string connectionString, string sql, Guid pollId)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = pollId });
        return Convert.ToInt64(await command.ExecuteScalarAsync() ?? 0L, System.Globalization.CultureInfo.InvariantCulture);
    }
}
