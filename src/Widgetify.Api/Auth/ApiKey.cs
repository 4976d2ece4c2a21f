using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Widgetify.Api.Auth;

/// <summary>API keys: <c>wgt_</c> followed by 256 random bits in base64url. Only the SHA-256 of a key is
/// stored; a key this random cannot be brute-forced, so a slow password hash would only cost latency.</summary>
internal static class ApiKey
{
    public const string Prefix = "wgt_";
    private const int SecretBytes = 32;

    /// <summary>Length of a well-formed key: the prefix and 43 base64url characters.</summary>
    public static readonly int Length = Prefix.Length + Base64Url.GetEncodedLength(SecretBytes);

    public static string Generate() => Prefix + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(SecretBytes));

    public static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    /// <summary>A short, non-secret label that identifies a key in listings and logs.</summary>
    public static string DisplayPrefix(string key) => key[..Math.Min(key.Length, Prefix.Length + 6)];

    public static bool IsWellFormed(string key) =>
        key.Length == Length
        && key.StartsWith(Prefix, StringComparison.Ordinal)
        && Base64Url.IsValid(key.AsSpan(Prefix.Length));
}
