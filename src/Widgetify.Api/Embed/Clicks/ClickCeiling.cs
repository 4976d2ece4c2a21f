using Microsoft.Extensions.Options;

namespace Widgetify.Api.Embed.Clicks;

/// <summary>The per-IP ceiling on counted clicks of one banner (<see cref="EmbedOptions.ClicksPerMinutePerIp"/>): past it
/// the visitor is still sent to the link, but the click is not counted, so one machine cannot inflate the count.</summary>
internal sealed class ClickCeiling(IOptions<WidgetifyOptions> options) : AddressCeiling(options.Value.Embed.ClicksPerMinutePerIp);
