using Microsoft.Extensions.Options;

namespace Widgetify.Scaling;

/// <summary>Checks every [Range] of <see cref="ScalingOptions"/>, its command section and its cross-field rules at start,
/// so a bad setting stops the service with a message that names it instead of scaling wrongly later.</summary>
[OptionsValidator]
internal sealed partial class ScalingOptionsValidator : IValidateOptions<ScalingOptions>;
