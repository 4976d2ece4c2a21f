using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using Widgetify.Api.Apis.KindConfigs;
using Widgetify.Api.Data;

namespace Widgetify.Api.Embed.Kinds;

/// <summary>A clock in its time zone: the server's time when rendered, in a <c>&lt;time datetime&gt;</c> element (right
/// without JavaScript, and for the first second with it), then kept ticking by <see cref="TickScript"/>.</summary>
internal static class ClockView
{
    /// <summary>Finds every clock on the page and rewrites its text each second with the browser's
    /// <c>Intl.DateTimeFormat</c> in the zone of its <c>data-time-zone</c>, in the format the server wrote (24-hour
    /// HH:mm:ss). A constant, so one hash in the Content-Security-Policy allows it on every clock.</summary>
    public static readonly InlineScript TickScript = new(
        "(()=>{for(const t of document.querySelectorAll('time[data-time-zone]')){let f;" +
        "try{f=new Intl.DateTimeFormat('en-GB',{timeZone:t.dataset.timeZone,hour:'2-digit',minute:'2-digit',second:'2-digit',hourCycle:'h23'})}" +
        "catch(e){continue}" +
        "const tick=()=>{const d=new Date();t.textContent=f.format(d);t.dateTime=d.toISOString()};" +
        "setInterval(tick,1000)}})();");

    /// <summary>Appends the widget's body; an inline script it needs goes into <paramref name="scripts"/>.</summary>
    public static void AppendBody(StringBuilder body, Widget widget, ICollection<InlineScript> scripts, DateTimeOffset now)
    {
        var zone = Zone(WidgetConfig.Text(widget.Config, "timeZone"));
        var local = TimeZoneInfo.ConvertTime(now, zone);
        var html = HtmlEncoder.Default;
        body.Append(CultureInfo.InvariantCulture,
            $"<p><time class=\"count\" datetime=\"{local:yyyy-MM-ddTHH:mm:sszzz}\" data-time-zone=\"{html.Encode(zone.Id)}\">{local:HH:mm:ss}</time> ");
        body.Append(CultureInfo.InvariantCulture, $"<span class=\"zone\">{html.Encode(zone.Id)}</span></p>");
        scripts.Add(TickScript);
    }

    /// <summary>The configured zone; UTC when none is set, or when a row written before the zone was validated names one
    /// this server does not know (a clock that shows UTC, labelled so, beats an error page).</summary>
    private static TimeZoneInfo Zone(string? configured) =>
        configured is not null && ClockConfigRules.IsIanaZone(configured) && TimeZoneInfo.TryFindSystemTimeZoneById(configured, out var zone)
            ? zone
            : TimeZoneInfo.FindSystemTimeZoneById(ClockConfigRules.DefaultTimeZone);
}
