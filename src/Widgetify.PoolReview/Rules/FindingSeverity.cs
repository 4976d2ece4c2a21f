namespace Widgetify.PoolReview.Rules;

/// <summary>How much a finding matters. Only <see cref="Critical"/> fails a deployment pipeline (exit code 2).</summary>
public enum FindingSeverity
{
    /// <summary>Worth knowing; nothing to change now (or not enough history to say).</summary>
    Info = 0,

    /// <summary>A setting that wastes or starves connections, or times out inconsistently: change it.</summary>
    Warning = 1,

    /// <summary>A setting that can let the fleet open more connections than a server accepts (Feb 15).</summary>
    Critical = 2,
}
