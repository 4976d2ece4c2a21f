namespace Widgetify.Incidents.Postmortems;

/// <summary>A postmortem draft: the Markdown and the chart it references.</summary>
/// <param name="Markdown">The document.</param>
/// <param name="ChartSvg">The chart, an SVG document.</param>
/// <param name="FileName">The document's suggested file name, <c>&lt;yyyyMMdd-HHmm&gt;-&lt;id&gt;.md</c>.</param>
/// <param name="ChartFileName">The chart's file name, as the document references it.</param>
public sealed record PostmortemDraft(string Markdown, string ChartSvg, string FileName, string ChartFileName);
