'use strict';

/**
 * Posts one event to Tidings: the envelope of connectors/sfcc/envelope.schema.json, signed with the
 * site's secret (HMAC-SHA256 over timestamp + "." + body, hex, in X-SFCC-Signature as v1=<hex>),
 * through the service framework's HTTP service "tidings.webhook" (deploy/sfcc/services.xml).
 */

var Mac = require('dw/crypto/Mac');
var Encoding = require('dw/crypto/Encoding');
var Site = require('dw/system/Site');
var Logger = require('dw/system/Logger');
var UUIDUtils = require('dw/util/UUIDUtils');
var LocalServiceRegistry = require('dw/svc/LocalServiceRegistry');

var SERVICE_ID = 'tidings.webhook';
var TIMESTAMP_HEADER = 'X-SFCC-Timestamp';
var SIGNATURE_HEADER = 'X-SFCC-Signature';
var SIGNATURE_SCHEME = 'v1';
var SECRET_PREFERENCE = 'tidingsWebhookSecret';
var ENABLED_PREFERENCE = 'tidingsEnabled';

var log = Logger.getLogger('tidings', 'tidings');

/**
 * The envelope: what happened (event_type), where (site_id), when (occurred_at), to what (data).
 * @param {string} eventType - e.g. "order.created"
 * @param {string} siteId - the site's ID
 * @param {Object} data - the OCAPI-shaped document (see documents.js)
 * @param {string} [eventId] - a stable id when the caller has one (a retry repeats it)
 * @param {Date} [occurredAt] - defaults to now
 * @returns {Object} the envelope
 */
function envelope(eventType, siteId, data, eventId, occurredAt) {
    return {
        event_id: eventId || UUIDUtils.createUUID(),
        event_type: eventType,
        site_id: siteId,
        occurred_at: (occurredAt || new Date()).toISOString(),
        data: data
    };
}

/**
 * @param {string} body - the exact JSON text that is sent
 * @param {string} secret - the site's webhook secret
 * @param {string} timestamp - unix seconds, as sent in X-SFCC-Timestamp
 * @returns {string} the X-SFCC-Signature value
 */
function sign(body, secret, timestamp) {
    var mac = new Mac(Mac.HMAC_SHA_256);
    return SIGNATURE_SCHEME + '=' + Encoding.toHex(mac.digest(timestamp + '.' + body, secret));
}

/**
 * The body and headers of one webhook request (no I/O: the service call is in send()).
 * @param {string} eventType - the envelope's event_type
 * @param {Object} data - the envelope's data
 * @param {{siteId: string, secret: string, eventId: (string|undefined), now: (Date|undefined)}} options - how
 * @returns {{body: string, headers: Object}} the request
 */
function buildRequest(eventType, data, options) {
    var now = options.now || new Date();
    var body = JSON.stringify(envelope(eventType, options.siteId, data, options.eventId, now));
    var timestamp = String(Math.floor(now.getTime() / 1000));
    var headers = { 'Content-Type': 'application/json' };
    headers[TIMESTAMP_HEADER] = timestamp;
    headers[SIGNATURE_HEADER] = sign(body, options.secret, timestamp);
    return { body: body, headers: headers };
}

/**
 * Send one event. Never throws: a storefront request must not fail because Tidings is away. The
 * service framework's circuit breaker keeps a Tidings outage from slowing checkout down.
 * @param {string} eventType - the envelope's event_type
 * @param {Object} data - the envelope's data
 * @param {string} [eventId] - a stable id for dedupe (see the hooks)
 * @returns {boolean} whether Tidings accepted it
 */
function send(eventType, data, eventId) {
    try {
        var site = Site.getCurrent();
        if (site.getCustomPreferenceValue(ENABLED_PREFERENCE) === false) {
            return false;
        }
        var secret = site.getCustomPreferenceValue(SECRET_PREFERENCE);
        if (!secret) {
            log.warn('Tidings: site preference {0} is not set; {1} not sent', SECRET_PREFERENCE, eventType);
            return false;
        }
        var request = buildRequest(eventType, data, { siteId: site.getID(), secret: String(secret), eventId: eventId });
        var service = LocalServiceRegistry.createService(SERVICE_ID, {
            createRequest: function (svc, req) {
                svc.setRequestMethod('POST');
                Object.keys(req.headers).forEach(function (name) {
                    svc.addHeader(name, req.headers[name]);
                });
                return req.body;
            },
            parseResponse: function (svc, client) {
                return client.statusCode;
            },
            filterLogMessage: function (message) {
                // Envelopes carry customers' contact details: keep them out of the service log.
                return String(message).replace(/"(email|phone|phone_mobile|SuppliedEmail|SuppliedPhone)":"[^"]*"/g, '"$1":"***"');
            }
        });
        var result = service.call(request);
        if (!result.ok) {
            log.error('Tidings: {0} not accepted: {1} {2}', eventType, result.error, result.errorMessage);
            return false;
        }
        return true;
    } catch (e) {
        log.error('Tidings: {0} not sent: {1}', eventType, e.message);
        return false;
    }
}

module.exports = {
    SERVICE_ID: SERVICE_ID,
    TIMESTAMP_HEADER: TIMESTAMP_HEADER,
    SIGNATURE_HEADER: SIGNATURE_HEADER,
    SECRET_PREFERENCE: SECRET_PREFERENCE,
    envelope: envelope,
    sign: sign,
    buildRequest: buildRequest,
    send: send
};
