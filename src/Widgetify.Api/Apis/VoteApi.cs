using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http.HttpResults;
using Widgetify.Api.Data;
using Widgetify.Api.Errors;
using Widgetify.Api.Polls;

namespace Widgetify.Api.Apis;

/// <summary>A visitor's vote, <c>POST /w/{id}/vote</c>: a plain HTML form post from the poll's embed (no key, no
/// JavaScript needed), answered 303 back to the embed, which then shows the results; or with
/// <c>Accept: application/json</c>, 200 with the results. The answer comes only after the vote's batch committed
/// (<see cref="VoteWriter"/>).</summary>
/// <remarks>No antiforgery token: a vote is not a privileged act of a signed-in user; the visitor token is the identity.
/// But another site's page could post votes from its visitors' browsers without any token (each would mint a new
/// visitor), so a post that the browser says came from another site (<c>Sec-Fetch-Site</c> other than
/// <c>same-origin</c>, or an <c>Origin</c> other than this one) is refused with 403: the embed's own form and script
/// post from this origin. Clients that send neither header (curl, servers) are not browsers a page can drive.</remarks>
internal static class VoteApi
{
    /// <summary>Seconds a visitor is asked to wait before retrying a vote that was not recorded.</summary>
    private const int RetryAfterSeconds = 1;

    /// <summary>The largest vote body accepted (docs/polls.md): a vote is 'option=N' and a visitor token.</summary>
    internal const int MaxBodyBytes = 4096;

    public static IEndpointConventionBuilder MapVoteApi(this IEndpointRouteBuilder app) =>
        app.MapPost("/w/{id}/vote", VoteAsync)
            .WithTags("Embed")
            .Produces(StatusCodes.Status303SeeOther)
            .Produces<PollResultsJson>(StatusCodes.Status200OK, "application/json")
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .WithSummary("A visitor's vote on a poll (form field 'option', the 0-based index): 303 to the embed, or the results as JSON.");

    // No .Accepts(form) metadata: routing would then answer any other content type with a bare 415 before this handler
    // could say what to send instead.
    private static async Task<IResult> VoteAsync(
        string id, HttpContext context, WidgetStore widgets, PollStore polls, VoteWriter writer, VoteRateLimiter ceiling,
        TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        if (!WidgetsApi.TryParseId(id, out var pollId, out var invalid))
        {
            return invalid;
        }

        if (FromAnotherSite(context.Request))
        {
            return Problems.Result(StatusCodes.Status403Forbidden, "Vote from another site",
                "Votes are accepted only from the poll's own embed. Vote in the poll's frame on the page that shows it.");
        }

        using (var permit = ceiling.AttemptAcquire(context.Connection.RemoteIpAddress, pollId))
        {
            if (!permit.IsAcquired)
            {
                var wait = permit.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)) : 60;
                context.Response.Headers.RetryAfter = wait.ToString(CultureInfo.InvariantCulture);
                return Problems.Result(StatusCodes.Status429TooManyRequests, "Too many votes",
                    $"Too many votes on this poll came from your network address in the last minute. Try again in {wait} seconds.");
            }
        }

        var request = context.Request;
        if (!request.HasFormContentType)
        {
            return Problems.Result(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type",
                "Send the vote as a form (Content-Type: application/x-www-form-urlencoded) with the field 'option', the 0-based index of the chosen option.");
        }

        if (BodyCoding.EncodingRefusal(request, "send the vote as a form with the field 'option'") is { } refused)
        {
            return refused;
        }

        // A vote is a few dozen bytes; anything near the limit is not a vote. Refused with 413 like any body over its
        // endpoint's limit: a declared length at once, a chunked one as soon as it runs past the limit.
        if (request.ContentLength > MaxBodyBytes)
        {
            return TooLarge();
        }

        IFormCollection form;
        try
        {
            // The body is read here, under the request's deadline, and the form parsed from memory: ReadFormAsync's own
            // read, cancelled by the deadline while a client stalls, ended in a reset connection instead of an answer.
            var body = await BodyLimits.ReadAsync(request, MaxBodyBytes, cancellationToken);
            if (body is null)
            {
                return TooLarge();
            }

            request.Body = new MemoryStream(body, writable: false);
            form = await request.ReadFormAsync(CancellationToken.None);
        }
        catch (Exception ex) when (RequestBodyTimeout.Is(ex, context))
        {
            return RequestBodyTimeout.Problem(context);
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException && ex is not BadHttpRequestException
            && !context.RequestAborted.IsCancellationRequested)
        {
            // A malformed or truncated body (a multipart one without its closing boundary throws IOException).
            return Problems.BadRequest("The form could not be read. Send 'option=<index>' as application/x-www-form-urlencoded.");
        }

        var widget = await widgets.GetPublicAsync(pollId, cancellationToken);
        if (widget is null || widget.Kind != PollConfig.Kind)
        {
            return Problems.NotFound($"No poll {pollId}. It may have been deleted, or the widget is not a poll.");
        }

        var poll = PollConfig.Read(widget.Config);
        if (poll.IsClosed(timeProvider.GetUtcNow()))
        {
            return Problems.Result(StatusCodes.Status409Conflict, "Poll closed",
                $"This poll closed at {poll.ClosesAt!.Value.UtcDateTime:u}; it takes no more votes. GET /w/{pollId} shows its results.");
        }

        if (!int.TryParse(form["option"], NumberStyles.None, CultureInfo.InvariantCulture, out var option) || option >= poll.Options.Count)
        {
            return BadOption(poll.Options.Count, form["option"]);
        }

        var cookie = VisitorToken.FromCookie(request);
        var field = form[VisitorToken.FormField].ToString();
        var visitor = cookie ?? (VisitorToken.IsWellFormed(field) ? field : VisitorToken.New());
        if (cookie is null)
        {
            // Before the vote is queued, so that a 503 (whose batch may yet have committed) still leaves the visitor
            // holding the token it was counted under: the retry then counts once.
            VisitorToken.SetCookie(context, visitor);
        }

        var vote = new PendingVote(pollId, visitor, option);
        if (!writer.TrySubmit(vote))
        {
            return NotRecorded(context, "Too many votes are waiting to be written right now.");
        }

        VoteOutcome outcome;
        try
        {
            outcome = await vote.Written.WaitAsync(cancellationToken);
        }
        catch (VoteNotRecordedException)
        {
            return NotRecorded(context, "The vote could not be recorded.");
        }

        if (outcome == VoteOutcome.PollGone)
        {
            return Problems.NotFound($"No poll {pollId}. It was deleted.");
        }

        if (outcome == VoteOutcome.OptionGone)
        {
            return Problems.Result(StatusCodes.Status409Conflict, "Poll changed",
                $"The poll's owner removed option {option} while the vote was being recorded, so it was not counted. " +
                $"GET /w/{pollId} shows the options now; vote again.");
        }

        context.Response.Headers.CacheControl = "no-store";
        if (EmbedApi.WantsJson(request))
        {
            var page = await PollEmbed.ReadPageAsync(widget, visitor, polls, timeProvider, cancellationToken);
            return TypedResults.Json(page.ToJson(counted: outcome == VoteOutcome.Counted));
        }

        context.Response.Headers.Location = $"/w/{pollId}";
        return TypedResults.StatusCode(StatusCodes.Status303SeeOther);
    }

    private static ProblemHttpResult BadOption(int options, string? sent) => TypedResults.Problem(new HttpValidationProblemDetails(
        new Dictionary<string, string[]>
        {
            ["option"] = [$"'{(sent is { Length: > 20 } ? sent[..20] + "…" : sent)}' is not an option of this poll: send the 0-based index of the chosen option, 0 to {options - 1}."],
        })
    {
        Status = StatusCodes.Status422UnprocessableEntity,
        Title = "Validation failed",
        Detail = "The vote names no option of this poll; see 'errors'.",
    });

    private static ProblemHttpResult NotRecorded(HttpContext context, string what)
    {
        context.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        return Problems.Result(StatusCodes.Status503ServiceUnavailable, "Vote not recorded",
            $"{what} It was not counted: send it again in {RetryAfterSeconds} second(s); it will count once.");
    }

    /// <summary>Whether the browser says the post came from a page of another site: Fetch Metadata when sent (every
    /// current browser), else the Origin header.</summary>
    private static bool FromAnotherSite(HttpRequest request)
    {
        var site = request.Headers["Sec-Fetch-Site"].ToString();
        if (site.Length > 0)
        {
            return !string.Equals(site, "same-origin", StringComparison.OrdinalIgnoreCase);
        }

        var origin = request.Headers.Origin.ToString();
        return origin.Length > 0 && !string.Equals(origin, "null", StringComparison.Ordinal)
            // The Host header as sent: request.Host decodes punycode and throws on an invalid one (xn--zz), a 500.
            && !string.Equals(origin, $"{request.Scheme}://{request.Headers.Host}", StringComparison.OrdinalIgnoreCase);
    }

    private static ProblemHttpResult TooLarge() => Problems.Result(StatusCodes.Status413PayloadTooLarge, "Request body too large",
        $"The body must be at most {MaxBodyBytes} bytes. Send the vote as 'option=<index>'.");
}
