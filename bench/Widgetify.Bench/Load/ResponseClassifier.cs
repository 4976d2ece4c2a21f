namespace Widgetify.Bench.Load;

/// <summary>Maps an HTTP status to an <see cref="Outcome"/>.</summary>
internal static class ResponseClassifier
{
    /// <summary>Number of <see cref="Outcome"/> values, for arrays indexed by outcome.</summary>
    public static readonly int OutcomeCount = Enum.GetValues<Outcome>().Length;

    public static Outcome Classify(int statusCode) => statusCode switch
    {
        >= 200 and < 300 or 304 => Outcome.Success,
        503 => Outcome.Shed,
        429 => Outcome.Throttled,
        _ => Outcome.ErrorStatus,
    };

    /// <summary>True for the outcomes that count as errors: neither success, shed nor throttled.</summary>
    public static bool IsError(Outcome outcome) => outcome is not (Outcome.Success or Outcome.Shed or Outcome.Throttled);
}
