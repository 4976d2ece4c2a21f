using System.Buffers.Text;

namespace Widgetify.Api.Apis;

/// <summary>The opaque list cursor: the last returned widget id (16 bytes, base64url). Keyset pagination
/// stays fast on the last page and never skips or repeats a row when widgets are added meanwhile.</summary>
internal static class PageCursor
{
    public static string Encode(Guid lastId) => Base64Url.EncodeToString(lastId.ToByteArray(bigEndian: true));

    public static bool TryDecode(string cursor, out Guid lastId)
    {
        lastId = default;
        Span<byte> bytes = stackalloc byte[16];
        if (cursor.Length != Base64Url.GetEncodedLength(16)
            || Base64Url.DecodeFromChars(cursor, bytes, out var consumed, out var written) != System.Buffers.OperationStatus.Done
            || consumed != cursor.Length || written != 16)
        {
            return false;
        }

        lastId = new Guid(bytes, bigEndian: true);
        return true;
    }
}
