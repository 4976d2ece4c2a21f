using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Widgetify.Bench.Detection;

/// <summary>GETs the service's operator endpoints with the operator key, each bounded by a timeout. A failure (no answer,
/// a non-200, a body it cannot read) is returned as a sentence, never thrown: the bench counts it and goes on.</summary>
internal sealed class MonitoringClient(HttpClient client, Uri baseAddress, string operatorKey, TimeSpan requestTimeout, TimeProvider time)
{
    public async Task<(T? Value, string? Failure)> GetAsync<T>(string path, Func<string, T> parse, CancellationToken token)
        where T : class
    {
        using var timeout = new CancellationTokenSource(requestTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(token, timeout.Token);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(baseAddress, path));
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", operatorKey);
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseContentRead, linked.Token);
            var body = await response.Content.ReadAsStringAsync(linked.Token);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                return (null, F($"GET {path}: {(int)response.StatusCode} {response.ReasonPhrase}"));
            }

            return (parse(body), null);
        }
        catch (OperationCanceledException) when (!token.IsCancellationRequested)
        {
            return (null, F($"GET {path}: no answer within {requestTimeout.TotalSeconds:0.#} s"));
        }
        catch (HttpRequestException ex)
        {
            return (null, $"GET {path}: {ex.Message}");
        }
        catch (JsonException ex)
        {
            return (null, $"GET {path}: unreadable body ({ex.Message})");
        }
    }

    private static string F(FormattableString value) => value.ToString(CultureInfo.InvariantCulture);
}
