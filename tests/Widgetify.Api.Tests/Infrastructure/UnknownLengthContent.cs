using System.Net;
using System.Net.Http.Headers;

namespace Widgetify.Api.Tests.Infrastructure;

/// <summary>A body whose length is not announced, so HttpClient sends it with chunked transfer encoding.</summary>
public sealed class UnknownLengthContent : HttpContent
{
    private readonly byte[] _bytes;

    public UnknownLengthContent(byte[] bytes, string mediaType)
    {
        _bytes = bytes;
        Headers.ContentType = new MediaTypeHeaderValue(mediaType);
    }

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
    {
        // In pieces, as a streaming client would.
        for (var offset = 0; offset < _bytes.Length; offset += 4096)
        {
            await stream.WriteAsync(_bytes.AsMemory(offset, Math.Min(4096, _bytes.Length - offset)));
        }
    }

    protected override bool TryComputeLength(out long length)
    {
        length = -1;
        return false;
    }
}
