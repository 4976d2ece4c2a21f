using System.Net;
using System.Text.Json;

namespace Widgetify.Api.Tests.Infrastructure;

/// <summary>Checks that an error is an RFC 9457 problem with the expected status that tells the client what to fix.</summary>
public static class ProblemAssertions
{
    /// <summary>Asserts <paramref name="status"/>, <c>application/problem+json</c>, a matching <c>status</c> member and,
    /// when <paramref name="field"/> is given, that the problem names it: as a key of <c>errors</c> with a non-empty
    /// message, or else in <c>detail</c>. Returns the problem document.</summary>
    public static async Task<JsonElement> ShouldBeProblemAsync(this HttpResponseMessage response, HttpStatusCode status, string? field = null)
    {
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(status, $"Body: {text}");
        response.Content.Headers.ContentType.ShouldNotBeNull($"Body: {text}").MediaType.ShouldBe("application/problem+json", $"Body: {text}");

        using var document = JsonDocument.Parse(text);
        var problem = document.RootElement.Clone();
        problem.GetProperty("status").GetInt32().ShouldBe((int)status, text);
        problem.GetProperty("title").GetString().ShouldNotBeNullOrWhiteSpace(text);
        problem.TryGetProperty("type", out var type).ShouldBeTrue($"a problem without a type is about:blank, whose title must be the status phrase: {text}");
        type.GetString().ShouldStartWith("https://", Case.Sensitive, text);

        if (field is not null)
        {
            if (problem.TryGetProperty("errors", out var errors))
            {
                errors.TryGetProperty(field, out var messages).ShouldBeTrue($"'errors' should name the field '{field}': {text}");
                messages.GetArrayLength().ShouldBeGreaterThan(0, text);
                messages[0].GetString().ShouldNotBeNullOrWhiteSpace(text);
            }
            else
            {
                problem.TryGetProperty("detail", out var detail).ShouldBeTrue($"the problem should have a 'detail' that names '{field}': {text}");
                detail.GetString().ShouldNotBeNull(text).ShouldContain(field, Case.Insensitive, $"'detail' should name '{field}': {text}");
            }
        }

        return problem;
    }

    /// <summary>Asserts that a problem's detail tells the client nothing of the service's insides: no address or port, no
    /// SQL, no exception type or stack, no setting or server limit (those are in the log); returns the detail.</summary>
    /// <param name="problem">The problem document.</param>
    /// <param name="alsoSecret">More text the detail must not contain (the database's port, say).</param>
    public static string ShouldNotRevealInternals(this JsonElement problem, params string[] alsoSecret)
    {
        var detail = problem.GetProperty("detail").GetString().ShouldNotBeNull(problem.GetRawText());
        string[] secrets = ["127.0.0.1", "localhost", "Exception", "Npgsql", "SQLSTATE", "SELECT ", "INSERT ", "UPDATE ", " at ", "Widgetify:",
            "max_connections", "'Timeout'", "base/", "No space left", .. alsoSecret];
        foreach (var secret in secrets)
        {
            detail.ShouldNotContain(secret, Case.Sensitive, $"a 503's detail must not reveal internals: {detail}");
        }

        return detail;
    }

    /// <summary>The messages a validation problem gives for <paramref name="field"/>, joined.</summary>
    public static string ErrorsFor(this JsonElement problem, string field) =>
        string.Join(" ", problem.GetProperty("errors").GetProperty(field).EnumerateArray().Select(m => m.GetString()));
}
