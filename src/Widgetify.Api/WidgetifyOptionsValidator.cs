using Microsoft.Extensions.Options;

namespace Widgetify.Api;

/// <summary>Checks every [Range]/[Required] of <see cref="WidgetifyOptions"/> and its sections at start, so a
/// bad setting stops the service with a message that names it instead of misbehaving later.</summary>
[OptionsValidator]
internal sealed partial class WidgetifyOptionsValidator : IValidateOptions<WidgetifyOptions>;
