using System.Globalization;

namespace Widgetify.Postgres.Backups;

/// <summary>LSNs ("0/3000028") and the WAL segment file that holds one, computed as PostgreSQL names them.</summary>
internal static class WalPosition
{
    /// <summary>initdb's default <c>--wal-segsize</c>; the embedded clusters never change it.</summary>
    public const long SegmentSize = 16L * 1024 * 1024;

    public static ulong Parse(string lsn)
    {
        var parts = lsn.Split('/');
        return parts.Length == 2
            && uint.TryParse(parts[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var high)
            && uint.TryParse(parts[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var low)
            ? ((ulong)high << 32) | low
            : throw new FormatException($"'{lsn}' is not a PostgreSQL LSN (like 0/3000028).");
    }

    /// <summary>The segment file name of <paramref name="lsn"/> on <paramref name="timeline"/>, as pg_walfile_name gives it.</summary>
    public static string FileName(int timeline, string lsn)
    {
        var segment = Parse(lsn) / SegmentSize;
        const ulong segmentsPerId = 0x1_0000_0000UL / SegmentSize;
        return string.Create(CultureInfo.InvariantCulture, $"{timeline:X8}{segment / segmentsPerId:X8}{segment % segmentsPerId:X8}");
    }
}
