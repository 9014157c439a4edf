'use strict';

/**
 * OCAPI-shaped documents from Script API objects (dw.order.Order, dw.order.Basket,
 * dw.customer.Profile): the `data` of the Tidings envelope. Field names follow OCAPI's Order, Basket
 * and Customer documents; custom attributes keep OCAPI's c_ prefix. Tidings reads the custom
 * attributes listed below (connectors/sfcc/status_map.py says what each one means).
 */

// dw.order.Order's status constants, as OCAPI spells them.
var ORDER_STATUS = { 0: 'created', 3: 'new', 4: 'open', 5: 'completed', 6: 'cancelled', 7: 'replaced', 8: 'failed' };
var SHIPPING_STATUS = { 0: 'not_shipped', 1: 'part_shipped', 2: 'shipped' };
var PAYMENT_STATUS = { 0: 'not_paid', 1: 'part_paid', 2: 'paid' };
var CONFIRMATION_STATUS = { 0: 'not_confirmed', 2: 'confirmed' };

var ORDER_ATTRIBUTES = [
    'isPickup', 'fromStoreId', 'pickupReady', 'pickedUp', 'pickupWindowEnd', 'previousPickupWindowEnd',
    'deliveryStatus', 'estimatedDelivery', 'fraudStatus', 'refundStatus', 'refundId', 'refundAmount', 'locale'
];
var SHIPMENT_ATTRIBUTES = ['carrier', 'trackingUrl', 'fromStoreId'];
var LINE_ATTRIBUTES = ['imageUrl', 'url'];

function plain(value) {
    if (value === null || value === undefined) {
        return null;
    }
    if (value instanceof Date) {
        return value.toISOString();
    }
    if (typeof value === 'object' && 'value' in value) {
        return plain(value.value); // an EnumValue, a Money, a Quantity
    }
    return value;
}

function customAttributes(object, names, into) {
    var custom = object && object.custom;
    if (!custom) {
        return into;
    }
    names.forEach(function (name) {
        var value = plain(custom[name]);
        if (value !== null && value !== undefined) {
            into['c_' + name] = value;
        }
    });
    return into;
}

function amount(money) {
    return money && money.available !== false ? plain(money) : null;
}

function toArray(collection) {
    return collection ? collection.toArray() : [];
}

/**
 * The shopper's app registration: the device token the merchant's app saved on the profile, so
 * order and cart news can go by push first. Added only when there is one.
 */
function withPushToken(customer, doc) {
    var profile = customer && customer.profile;
    var token = profile && profile.custom ? plain(profile.custom.pushToken) : null;
    if (token) {
        doc.c_pushToken = token;
    }
    return doc;
}

function isVip(customer) {
    var group = require('dw/system/Site').getCurrent().getCustomPreferenceValue('tidingsVipGroup') || 'VIP';
    return Boolean(customer && customer.isMemberOfCustomerGroup && customer.isMemberOfCustomerGroup(group));
}

function customerInfo(lineItemContainer) {
    var customer = lineItemContainer.customer;
    return {
        customer_id: customer ? customer.ID : null,
        customer_no: lineItemContainer.customerNo || null,
        email: lineItemContainer.customerEmail || null,
        customer_name: lineItemContainer.customerName || null
    };
}

function productItems(lineItemContainer) {
    return toArray(lineItemContainer.productLineItems).map(function (item) {
        return customAttributes(item, LINE_ATTRIBUTES, {
            item_id: item.UUID || null,
            product_id: item.productID,
            product_name: item.productName || null,
            quantity: plain(item.quantity !== undefined ? item.quantity : item.quantityValue),
            base_price: amount(item.basePrice),
            price: amount(item.price),
            // dw.catalog.Product.brand: Tidings' brand-affinity segments
            c_brand: (item.product && item.product.brand) || null
        });
    });
}

function address(value) {
    if (!value) {
        return null;
    }
    return {
        first_name: value.firstName || null,
        last_name: value.lastName || null,
        phone: value.phone || null,
        city: value.city || null,
        country_code: plain(value.countryCode)
    };
}

/**
 * @param {dw.order.Order} order - the order
 * @returns {Object} an OCAPI Order document
 */
function orderDocument(order) {
    var doc = {
        order_no: order.orderNo,
        status: ORDER_STATUS[plain(order.status)],
        shipping_status: SHIPPING_STATUS[plain(order.shippingStatus)],
        payment_status: PAYMENT_STATUS[plain(order.paymentStatus)],
        confirmation_status: CONFIRMATION_STATUS[plain(order.confirmationStatus)],
        customer_info: customerInfo(order),
        billing_address: address(order.billingAddress),
        product_items: productItems(order),
        shipments: toArray(order.shipments).map(function (shipment) {
            return customAttributes(shipment, SHIPMENT_ATTRIBUTES, {
                shipment_id: shipment.ID,
                shipping_method: {
                    id: shipment.shippingMethodID || null,
                    name: shipment.shippingMethod ? shipment.shippingMethod.displayName : null
                },
                shipping_address: address(shipment.shippingAddress),
                tracking_number: shipment.trackingNumber || null
            });
        }),
        product_total: amount(order.merchandizeTotalGrossPrice),
        order_total: amount(order.totalGrossPrice),
        currency: order.currencyCode,
        creation_date: plain(order.creationDate),
        customer_locale: order.customerLocaleID || null,
        // VIP purchases alert the account team; the group id is the merchant's (site preference).
        c_vip: isVip(order.customer)
    };
    return withPushToken(order.customer, customAttributes(order, ORDER_ATTRIBUTES, doc));
}

/**
 * @param {dw.order.Basket} basket - the basket
 * @param {string} [checkoutUrl] - where the shopper picks it up again
 * @returns {Object} an OCAPI Basket document
 */
function basketDocument(basket, checkoutUrl) {
    return withPushToken(basket.customer, {
        basket_id: basket.UUID,
        customer_info: customerInfo(basket),
        billing_address: address(basket.billingAddress),
        product_items: productItems(basket),
        product_total: amount(basket.merchandizeTotalGrossPrice),
        order_total: amount(basket.totalGrossPrice),
        currency: basket.currencyCode,
        last_modified: plain(basket.lastModified),
        c_checkoutUrl: checkoutUrl || null
    });
}

/**
 * @param {dw.customer.Profile} profile - the registered customer's profile
 * @param {Object} [extra] - c_* facts the caller adds (c_change, c_link, loyalty …)
 * @returns {Object} an OCAPI Customer document
 */
function profileDocument(profile, extra) {
    var wallet = profile.wallet ? toArray(profile.wallet.paymentInstruments) : [];
    var doc = {
        customer_id: profile.customer ? profile.customer.ID : null,
        customer_no: profile.customerNo,
        email: profile.email || null,
        first_name: profile.firstName || null,
        last_name: profile.lastName || null,
        phone_mobile: profile.phoneMobile || null,
        preferred_locale: profile.preferredLocale || null,
        birthday: profile.birthday ? profile.birthday.toISOString().substring(0, 10) : null,
        payment_instruments: wallet
            .filter(function (instrument) {
                return instrument.creditCardExpirationMonth && instrument.creditCardExpirationYear;
            })
            .map(function (instrument) {
                return {
                    expiration_month: instrument.creditCardExpirationMonth,
                    expiration_year: instrument.creditCardExpirationYear,
                    masked_card_number: instrument.maskedCreditCardNumber || null
                };
            })
    };
    Object.keys(extra || {}).forEach(function (key) {
        doc[key] = extra[key];
    });
    return doc;
}

module.exports = {
    orderDocument: orderDocument,
    basketDocument: basketDocument,
    profileDocument: profileDocument
};
