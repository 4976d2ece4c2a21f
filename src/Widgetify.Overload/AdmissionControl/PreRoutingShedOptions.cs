using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http;

namespace Widgetify.Overload.AdmissionControl;

/// <summary>Which requests the pre-routing shed may refuse, and who else must hear of it.</summary>
public sealed class PreRoutingShedOptions : IValidatableObject
{
    /// <summary>Path prefixes (whole segments, case-insensitive, as routing matches them) whose endpoints all go through
    /// admission with the priority their HTTP method implies: no operators' endpoint, no endpoint whose admission marker
    /// raises its priority. Only these are refused before routing; every other path (health probes, <c>/metrics</c>,
    /// the dashboard, the operator API) reaches routing, and admission after it decides as before.</summary>
    /// <value>Default empty: nothing is refused before routing.</value>
    public IList<string> GovernedPaths { get; init; } = [];

    /// <summary>Called for each request refused before routing, after it is counted and before its answer is written:
    /// for what the middleware further in would have recorded (an incident's client impact). Also called, uncounted and
    /// answered 499, for a request that would be refused but whose client already left
    /// (<see cref="HttpContext.RequestAborted"/> fired): check that token to tell a client that gave up from one that
    /// was shed. Keep it cheap and non-throwing; it runs on most requests of a storm.</summary>
    /// <value>Default null: nothing.</value>
    public Action<HttpContext>? OnShed { get; init; }

    /// <summary>Every governed path must be a rooted path of at least one segment.</summary>
    /// <param name="validationContext">Unused.</param>
    /// <returns>The broken rules, if any.</returns>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var path in GovernedPaths)
        {
            if (path is null || path.Length < 2 || path[0] != '/' || path[^1] == '/')
            {
                yield return new ValidationResult(
                    $"The governed path '{path}' must start with '/', name at least one segment and not end with '/' (for example '/api/widgets').",
                    [nameof(GovernedPaths)]);
            }
        }
    }
}
