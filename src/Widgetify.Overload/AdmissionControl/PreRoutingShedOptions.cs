using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http;

namespace Widgetify.Overload.AdmissionControl;

/// <summary>Which requests the pre-routing shed may refuse, and who else must hear of it.</summary>
public sealed class PreRoutingShedOptions : IValidatableObject
{
    /// <summary>Route templates of the paths that may be refused before routing, as the endpoints map them: literal
    /// segments (case-insensitive, as routing matches them) and <c>{name}</c> parameters, each matching exactly one
    /// segment (for example <c>/w/{id}</c>, <c>/api/widgets</c>). A path matches a template only as a whole (one trailing
    /// slash ignored), so a path no endpoint maps (<c>/w/{id}/typo</c>) goes on to routing and its 404. Every endpoint
    /// a template matches must go through admission with the priority its HTTP method implies: no operators' endpoint,
    /// no endpoint whose admission marker raises its priority. Every other path (health probes, <c>/metrics</c>, the
    /// dashboard, the operator API) reaches routing, and admission after it decides as before.</summary>
    public IList<string> GovernedPaths { get; init; } = [];

    /// <summary>Called for each request refused before routing, after it is counted and before its answer is written:
    /// for what the middleware further in would have recorded (an incident's client impact). Also called, uncounted and
    /// answered 499, for a request that would be refused but whose client already left
    /// (<see cref="HttpContext.RequestAborted"/> fired): check that token to tell a client that gave up from one that
    /// was shed. Keep it cheap and non-throwing; it runs on most requests of a storm.</summary>
    /// <value>Default null: nothing.</value>
    public Action<HttpContext>? OnShed { get; init; }

    /// <summary>Says, before routing, that a request will be answered without database work, so admission after routing
    /// would let it through without a slot (<see cref="AdmissionSkipMetadata"/>): such a request is never refused for a
    /// full queue or a share of 0, since admission would not refuse it. The CPU shed still applies to it. Asked only when
    /// the middleware is about to refuse a request for those reasons, on a governed path.</summary>
    /// <value>Default null: every governed request is judged by admission's state.</value>
    public Func<HttpContext, bool>? ServedWithoutDatabase { get; init; }

    /// <summary>Every governed path must be a rooted template of at least one segment, each segment a literal or a
    /// whole <c>{name}</c> parameter.</summary>
    /// <param name="validationContext">Unused.</param>
    /// <returns>The broken rules, if any.</returns>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var path in GovernedPaths)
        {
            if (path is null || path.Length < 2 || path[0] != '/' || path[^1] == '/' || path.Contains("//", StringComparison.Ordinal)
                || path[1..].Split('/').Any(s => (s.Contains('{', StringComparison.Ordinal) || s.Contains('}', StringComparison.Ordinal)) && !IsParameter(s)))
            {
                yield return new ValidationResult(
                    $"The governed path '{path}' must start with '/', name at least one segment, not end with '/', and use parameters only as whole segments (for example '/api/widgets/{{id}}').",
                    [nameof(GovernedPaths)]);
            }
        }
    }

    /// <summary>A validated template's segments, null standing for a parameter.</summary>
    internal static string?[] Segments(string template) =>
        [.. template[1..].Split('/').Select(s => IsParameter(s) ? null : s)];

    private static bool IsParameter(string segment) =>
        segment.Length > 2 && segment[0] == '{' && segment[^1] == '}' && segment.IndexOfAny(['{', '}'], 1) == segment.Length - 1;
}
