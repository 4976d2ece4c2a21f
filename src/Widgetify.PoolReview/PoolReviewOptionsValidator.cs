using Microsoft.Extensions.Options;

namespace Widgetify.PoolReview;

/// <summary>Checks every [Range] of <see cref="PoolReviewOptions"/> at start, so a bad setting stops the service with a
/// message that names it instead of trimming the history wrongly later.</summary>
[OptionsValidator]
internal sealed partial class PoolReviewOptionsValidator : IValidateOptions<PoolReviewOptions>;
