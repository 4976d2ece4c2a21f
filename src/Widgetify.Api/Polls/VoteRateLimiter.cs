using Microsoft.Extensions.Options;
using Widgetify.Api.Embed;

namespace Widgetify.Api.Polls;

/// <summary>The per-IP ceiling on votes in one poll (<see cref="PollOptions.VotesPerMinutePerIp"/>): past it a
/// vote is refused with 429.</summary>
internal sealed class VoteRateLimiter(IOptions<WidgetifyOptions> options) : AddressCeiling(options.Value.Polls.VotesPerMinutePerIp);
