namespace Widgetify.Testing;

/// <summary>A value made by the first caller and kept for every later one, like <see cref="Lazy{T}"/> of a task, except
/// that a make that fails is not kept: the next caller tries again. A <c>Lazy&lt;Task&lt;T&gt;&gt;</c> would hand one
/// failure (a port taken, a slow start timing out on a busy machine) to every test of the process.</summary>
/// <typeparam name="T">What is made.</typeparam>
/// <param name="make">Makes the value; called again after each failure, never twice at once.</param>
public sealed class MadeOnce<T>(Func<Task<T>> make) : IDisposable
    where T : class
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private T? _value;

    /// <summary>The value, made now when no earlier call made it.</summary>
    /// <returns>The value.</returns>
    public async Task<T> GetAsync()
    {
        if (Volatile.Read(ref _value) is { } made)
        {
            return made;
        }

        await _gate.WaitAsync();
        try
        {
            if (_value is null)
            {
                // Set only once make succeeded: an exception leaves _value null for the next caller.
                Volatile.Write(ref _value, await make());
            }

            return _value!;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Frees the gate; a static instance lives as long as the process and is never disposed.</summary>
    public void Dispose() => _gate.Dispose();
}
