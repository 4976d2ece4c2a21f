namespace Widgetify.Api.Notifications;

/// <summary>Something that keeps a copy of database state and learns of its changes through PostgreSQL NOTIFY, on the
/// instance's one listening connection (<see cref="NotificationListener"/>).</summary>
internal interface INotificationSubscriber
{
    /// <summary>The channels it listens to.</summary>
    IReadOnlyCollection<string> Channels { get; }

    /// <summary>One notification on one of <see cref="Channels"/>. Called on the listener's connection: keep it short.</summary>
    void OnNotification(string channel, string payload);

    /// <summary>The listener has (re)connected and now listens: whatever changed while it was not listening was not heard,
    /// so nothing remembered from before may be trusted.</summary>
    void OnListening();
}
