using System.ComponentModel.DataAnnotations;

namespace Widgetify.Api.Polls;

/// <summary>Settings of poll voting (<c>Widgetify:Polls</c>): the vote writer's group commit and the per-IP ceiling.</summary>
public sealed class PollOptions
{
    /// <summary>How long the vote writer gathers votes before writing them in one transaction: the price each vote pays
    /// in latency for many votes sharing one commit (one WAL flush) instead of a commit each.</summary>
    /// <value>Default 5 ms; range 0 to 1 s.</value>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:01")]
    public TimeSpan BatchWindow { get; set; } = TimeSpan.FromMilliseconds(5);

    /// <summary>Most votes written in one batch; more pending start the next batch at once.</summary>
    /// <value>Default 2,000; range 1 to 50,000.</value>
    [Range(1, 50_000)]
    public int MaxBatchSize { get; set; } = 2_000;

    /// <summary>Votes that may wait for a batch; beyond it a vote is refused with 503 and Retry-After at once rather
    /// than queued behind a database that cannot keep up.</summary>
    /// <value>Default 20,000; range 1 to 1,000,000.</value>
    [Range(1, 1_000_000)]
    public int MaxQueuedVotes { get; set; } = 20_000;

    /// <summary>Votes one IP address may cast on one poll per minute, on this instance (a fleet of N instances allows up
    /// to N times as many). High enough that a school or an office behind one address never meets it; it stops one
    /// machine from stuffing the ballot with fresh visitor tokens.</summary>
    /// <value>Default 100; range 1 to 1,000,000.</value>
    [Range(1, 1_000_000)]
    public int VotesPerMinutePerIp { get; set; } = 100;
}
