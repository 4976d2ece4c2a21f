namespace Widgetify.Api.Errors;

/// <summary>A request body that refuses to give more than its endpoint's documented limit, however it is framed: a
/// declared Content-Length is refused before reading, but a chunked body announces no length, and the server's own limit
/// is only a backstop at twice the documented one (<see cref="BodyLimits.Apply"/>), so without this a chunked body of up
/// to twice the limit was read in full. The 413 it ends in is written by ExceptionProblemHandler in the endpoint's words
/// (<see cref="BodyLimits.Describe"/>).</summary>
internal sealed class LimitedRequestBody(Stream inner, long limit) : Stream
{
    private long _read;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => _read;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Count(await inner.ReadAsync(buffer, cancellationToken));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    private int Count(int read)
    {
        _read += read;
        if (_read > limit)
        {
            throw new BadHttpRequestException("The request body is larger than its endpoint's limit.", StatusCodes.Status413PayloadTooLarge);
        }

        return read;
    }
}
