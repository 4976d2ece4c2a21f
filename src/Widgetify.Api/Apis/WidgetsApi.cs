using System.Globalization;
using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Widgetify.Api.Auth;
using Widgetify.Api.Consistency;
using Widgetify.Api.Data;
using Widgetify.Api.Embed.Caching;
using Widgetify.Api.Errors;
using Widgetify.Api.RateLimiting;

namespace Widgetify.Api.Apis;

/// <summary>The widget management API under <c>/api/widgets</c>: a tenant's own widgets, nobody else's.</summary>
internal static class WidgetsApi
{
    public const int DefaultPageSize = 20;
    public const int MaxPageSize = 100;
    private const int MaxSearchLength = 100;
    private const int MaxIdempotencyKeyLength = 255;

    public static RouteGroupBuilder MapWidgetsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/widgets")
            .RequireAuthorization(AuthorizationPolicies.Tenant)
            .WithTags("Widgets")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        api.MapPost("/", CreateAsync)
            .DocumentsJsonBody<WidgetRequest>()
            .Produces<WidgetResponse>(StatusCodes.Status201Created)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .WritesConsistencyToken()
            .WithSummary("Create a widget. Send an Idempotency-Key header to make retries safe.");
        api.MapGet("/", ListAsync)
            .Produces<WidgetPage>()
            .ProducesValidationProblem()
            .ReadsConsistencyToken()
            .WithSummary("List widgets, oldest first, filtered by kind and name, with cursor pagination.");
        // HEAD where GET is: link checkers and uptime probes ask for the headers only (Kestrel sends no body for HEAD).
        api.MapMethods("/{id}", [HttpMethods.Get, HttpMethods.Head], GetAsync)
            .Produces<WidgetResponse>()
            .Produces(StatusCodes.Status304NotModified)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ReadsConsistencyToken()
            .WithSummary("Get a widget. Send If-None-Match with its ETag to get 304 when unchanged.");
        api.MapPut("/{id}", UpdateAsync)
            .DocumentsJsonBody<WidgetRequest>()
            .Produces<WidgetResponse>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status428PreconditionRequired)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .WritesConsistencyToken()
            .WithSummary("Replace a widget. If-Match with the ETag of the version you edited is required.");
        api.MapDelete("/{id}", DeleteAsync)
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .WritesConsistencyToken()
            .WithSummary("Delete a widget; If-Match is optional.");
        return api;
    }

    private static async Task<IResult> CreateAsync(
        HttpRequest request, ClaimsPrincipal user, WidgetInputReader reader, WidgetStore store, TenantQuotas quotas, CancellationToken cancellationToken)
    {
        IdempotencyRequest? idempotency = null;
        string? idempotencyKey = null;
        if (request.Headers.TryGetValue("Idempotency-Key", out var header))
        {
            if (header.Count > 1)
            {
                // Joined, they made one key "a,b" that neither request would send again alone.
                return Problems.Validation("Idempotency-Key", $"Send one Idempotency-Key header, not {header.Count}.");
            }

            idempotencyKey = ParseIdempotencyKey(header.ToString());
            if (idempotencyKey is null)
            {
                return Problems.Validation("Idempotency-Key", $"Must be 1 to {MaxIdempotencyKeyLength} visible ASCII characters, such as a UUID.");
            }
        }

        var input = await reader.ReadAsync(request, cancellationToken);
        if (input.Error is not null)
        {
            return input.Error;
        }

        if (idempotencyKey is not null)
        {
            idempotency = new IdempotencyRequest(idempotencyKey, SHA256.HashData(input.RawBody));
        }

        var outcome = await store.CreateAsync(user.GetTenantId(), input.Draft!, idempotency, quotas.For(user), cancellationToken);

        switch (outcome)
        {
            case CreateOutcome.Created created:
                SetETag(request.HttpContext, created.Widget.Version);
                return TypedResults.Created(Location(created.Widget.Id), WidgetResponse.From(created.Widget));
            case CreateOutcome.Replayed replayed:
                request.HttpContext.Response.Headers["Idempotent-Replayed"] = "true";
                SetETag(request.HttpContext, replayed.Widget.Version); // the widget as created: version 1
                return TypedResults.Created(Location(replayed.Widget.Id), WidgetResponse.From(replayed.Widget));
            case CreateOutcome.QuotaExceeded over:
                return quotas.Refuse(user, over.Breach);
            case CreateOutcome.KeyReused:
                return Problems.Result(StatusCodes.Status422UnprocessableEntity, "Idempotency-Key reused",
                    "This Idempotency-Key was already used with a different request body. Use a new key for a new widget.");
            default:
                return Problems.Result(StatusCodes.Status409Conflict, "Request in progress",
                    "A request with this Idempotency-Key is still being processed. Retry shortly with the same key.");
        }
    }

    private static async Task<IResult> GetAsync(
        string id, HttpContext context, ClaimsPrincipal user, WidgetStore store, CancellationToken cancellationToken)
    {
        if (!TryParseId(id, out var widgetId, out var invalid))
        {
            return invalid;
        }

        var widget = await store.GetAsync(user.GetTenantId(), widgetId, cancellationToken);
        if (widget is null)
        {
            return WidgetNotFound(widgetId);
        }

        var etag = SetETag(context, widget.Version);
        context.Response.Headers.CacheControl = "private, no-cache";
        return ETags.NoneMatchHits(context.Request.Headers.IfNoneMatch, etag)
            ? TypedResults.StatusCode(StatusCodes.Status304NotModified)
            : TypedResults.Ok(WidgetResponse.From(widget));
    }

    private static async Task<IResult> ListAsync(
        ClaimsPrincipal user, WidgetStore store, CancellationToken cancellationToken,
        [FromQuery] string? kind = null, [FromQuery] string? q = null, [FromQuery] string? limit = null, [FromQuery] string? cursor = null)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (kind is not null && !WidgetKinds.IsKnown(kind))
        {
            errors["kind"] = [$"Unknown kind: must be one of {WidgetKinds.Describe()}."];
        }

        // Counted in code points, as a name is: a name of 100 emoji (200 UTF-16 units) is searchable by itself.
        if (q is not null && (q.EnumerateRunes().Count() > MaxSearchLength || q.Any(char.IsControl)))
        {
            errors["q"] = [$"Must be at most {MaxSearchLength} characters, without control characters."];
        }

        var pageSize = DefaultPageSize;
        if (limit is not null && (!int.TryParse(limit, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out pageSize) || pageSize is < 1 or > MaxPageSize))
        {
            errors["limit"] = [$"Must be a whole number from 1 to {MaxPageSize} (default {DefaultPageSize}); got '{limit}'."];
        }

        Guid? after = null;
        if (cursor is not null)
        {
            if (PageCursor.TryDecode(cursor, out var lastId))
            {
                after = lastId;
            }
            else
            {
                errors["cursor"] = ["Not a cursor this API issued: pass the 'nextCursor' of the previous page unchanged."];
            }
        }

        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }

        var rows = await store.ListAsync(user.GetTenantId(), kind, string.IsNullOrEmpty(q) ? null : q, after, pageSize, cancellationToken);
        var hasMore = rows.Count > pageSize;
        var items = rows.Take(pageSize).Select(WidgetResponse.From).ToList();
        return TypedResults.Ok(new WidgetPage(items, hasMore ? PageCursor.Encode(items[^1].Id) : null));
    }

    private static async Task<IResult> UpdateAsync(
        string id, HttpRequest request, ClaimsPrincipal user, WidgetInputReader reader, WidgetStore store, TenantQuotas quotas,
        EmbedCache embeds, CancellationToken cancellationToken)
    {
        if (!TryParseId(id, out var widgetId, out var invalid))
        {
            return invalid;
        }

        var (expected, refusal) = await ReadIfMatchAsync(request, required: true, store, user.GetTenantId(), widgetId, cancellationToken);
        if (refusal is not null)
        {
            return refusal;
        }

        var input = await reader.ReadAsync(request, cancellationToken);
        if (input.Error is not null)
        {
            return input.Error;
        }

        return await store.UpdateAsync(user.GetTenantId(), widgetId, input.Draft!, expected, quotas.For(user), cancellationToken) switch
        {
            // This instance's embeds change before the response: the owner's next view shows the edit without waiting for
            // the notification, which tells the rest of the fleet.
            UpdateOutcome.Done done => Invalidated(embeds, done.Widget.Id, done.Widget.Version, OkWithETag(request.HttpContext, done.Widget)),
            UpdateOutcome.QuotaExceeded over => quotas.Refuse(user, over.Breach),
            UpdateOutcome.VersionMismatch mismatch => VersionMismatch(mismatch.CurrentVersion),
            UpdateOutcome.PollVotesKept kept => PollVotesKept(kept.Votes),
            _ => WidgetNotFound(widgetId),
        };
    }

    private static async Task<IResult> DeleteAsync(
        string id, HttpRequest request, ClaimsPrincipal user, WidgetStore store, EmbedCache embeds, CancellationToken cancellationToken)
    {
        if (!TryParseId(id, out var widgetId, out var invalid))
        {
            return invalid;
        }

        var (expected, refusal) = await ReadIfMatchAsync(request, required: false, store, user.GetTenantId(), widgetId, cancellationToken);
        if (refusal is not null)
        {
            return refusal;
        }

        return await store.DeleteAsync(user.GetTenantId(), widgetId, expected, cancellationToken) switch
        {
            UpdateOutcome.Done => Invalidated(embeds, widgetId, VersionFloors.Deleted, TypedResults.NoContent()),
            UpdateOutcome.VersionMismatch mismatch => VersionMismatch(mismatch.CurrentVersion),
            _ => WidgetNotFound(widgetId),
        };
    }

    private static IResult Invalidated(EmbedCache embeds, Guid id, int version, IResult result)
    {
        embeds.Invalidate(id, version, "change");
        return result;
    }

    /// <summary>The version a PUT or DELETE is conditional on (null: any), or the response that refuses it.</summary>
    private static async Task<(int? Expected, IResult? Refusal)> ReadIfMatchAsync(
        HttpRequest request, bool required, WidgetStore store, Guid tenantId, Guid id, CancellationToken cancellationToken)
    {
        switch (ETags.ParseIfMatch(request.Headers.IfMatch))
        {
            case ETags.IfMatch.Absent when required:
                return (null, Problems.Result(StatusCodes.Status428PreconditionRequired, "If-Match required",
                    "Send If-Match with the ETag of the version you edited (from GET), so that a concurrent change is not overwritten; If-Match: * overwrites whatever is there."));
            case ETags.IfMatch.Malformed malformed:
                return (null, Problems.BadRequest(malformed.Reason));
            case ETags.IfMatch.NoMatch:
                var widget = await store.GetAsync(tenantId, id, cancellationToken);
                return (null, widget is null ? WidgetNotFound(id) : VersionMismatch(widget.Version));
            case ETags.IfMatch.Version version:
                return (version.Value, null);
            default:
                return (null, null); // absent where optional, or *
        }
    }

    internal static bool TryParseId(string id, out Guid widgetId, out IResult invalid)
    {
        invalid = null!;
        if (Guid.TryParseExact(id, "D", out widgetId))
        {
            return true;
        }

        invalid = Problems.Validation("id", $"'{(id.Length > 40 ? id[..40] + "…" : id)}' is not a widget id: ids are UUIDs such as 0193b2c4-5d6e-7f80-9a1b-2c3d4e5f6a7b.");
        return false;
    }

    private static ProblemHttpResult WidgetNotFound(Guid id) => Problems.NotFound($"No widget {id} for this API key's tenant.");

    private static ProblemHttpResult PollVotesKept(long votes) => Problems.Result(StatusCodes.Status409Conflict, "Poll has votes",
        $"This change would count {votes} acknowledged vote(s) for a different answer or drop them: once an option has votes, "
        + "its text and position stay, and a poll stays a poll. You can still change the question and the closing time, add options "
        + "at the end, and rename, move or remove options nobody voted for. To ask something else, create a new poll.");

    private static ProblemHttpResult VersionMismatch(int current) => Problems.Result(StatusCodes.Status412PreconditionFailed, "Precondition failed",
        $"The widget was changed since you read it: its ETag is now {ETags.ForVersion(current)}. GET it again, reapply your change and retry.");

    private static Ok<WidgetResponse> OkWithETag(HttpContext context, Widget widget)
    {
        SetETag(context, widget.Version);
        return TypedResults.Ok(WidgetResponse.From(widget));
    }

    private static string SetETag(HttpContext context, int version)
    {
        var etag = ETags.ForVersion(version);
        context.Response.Headers.ETag = etag;
        return etag;
    }

    private static string Location(Guid id) => $"/api/widgets/{id}";

    private static string? ParseIdempotencyKey(string value)
    {
        // The IETF draft sends the key as a structured-field string ("..."); most clients send it bare.
        var key = value.Length >= 2 && value[0] == '"' && value[^1] == '"' ? value[1..^1] : value;
        return key.Length is >= 1 and <= MaxIdempotencyKeyLength && key.All(c => c is >= '!' and <= '~') ? key : null;
    }
}
