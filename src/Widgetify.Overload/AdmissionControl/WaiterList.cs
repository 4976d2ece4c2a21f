using System.Diagnostics;

namespace Widgetify.Overload.AdmissionControl;

/// <summary>A doubly linked list of waiters of one priority, threaded through the waiters themselves. Both ends are
/// needed: FIFO serves the head, adaptive LIFO and eviction take the tail.</summary>
internal sealed class WaiterList
{
    private AdmissionWaiter? _head;
    private AdmissionWaiter? _tail;

    public int Count { get; private set; }

    public AdmissionWaiter? First => _head;

    public AdmissionWaiter? Last => _tail;

    public void AddLast(AdmissionWaiter waiter)
    {
        Debug.Assert(waiter.List is null, "A waiter is in at most one list.");
        waiter.List = this;
        waiter.Previous = _tail;
        waiter.Next = null;
        if (_tail is null)
        {
            _head = waiter;
        }
        else
        {
            _tail.Next = waiter;
        }

        _tail = waiter;
        Count++;
    }

    public void Remove(AdmissionWaiter waiter)
    {
        Debug.Assert(waiter.List == this, "Only a member can be removed.");
        if (waiter.Previous is null)
        {
            _head = waiter.Next;
        }
        else
        {
            waiter.Previous.Next = waiter.Next;
        }

        if (waiter.Next is null)
        {
            _tail = waiter.Previous;
        }
        else
        {
            waiter.Next.Previous = waiter.Previous;
        }

        waiter.Previous = null;
        waiter.Next = null;
        waiter.List = null;
        Count--;
        Debug.Assert(Count >= 0 && (Count == 0) == (_head is null), "Count matches the links.");
    }
}
