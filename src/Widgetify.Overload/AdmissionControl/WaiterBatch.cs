using System.Diagnostics;

namespace Widgetify.Overload.AdmissionControl;

/// <summary>Waiters decided under the controller's lock, to be completed after it is released: completing a task
/// under a lock invites lock convoys and reentrancy. Chained through the waiters' own links, so no allocation.</summary>
internal struct WaiterBatch
{
    private AdmissionWaiter? _head;
    private AdmissionWaiter? _tail;

    public void Add(AdmissionWaiter waiter)
    {
        Debug.Assert(waiter.List is null && waiter.Next is null, "Only a waiter that left the queue can be batched.");
        if (_tail is null)
        {
            _head = waiter;
        }
        else
        {
            _tail.Next = waiter;
        }

        _tail = waiter;
    }

    /// <summary>Detaches the chain; iterate with <see cref="AdmissionWaiter.Next"/>.</summary>
    public AdmissionWaiter? TakeAll()
    {
        var head = _head;
        _head = null;
        _tail = null;
        return head;
    }
}
