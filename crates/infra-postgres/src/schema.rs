// Diesel schema, written to match `migrations/` (check with `diesel print-schema`).

diesel::table! {
    cities (id) {
        id -> Int8,
        name -> Text,
        country -> Text,
        latitude -> Float8,
        longitude -> Float8,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    venues (id) {
        id -> Int8,
        city_id -> Int8,
        name -> Text,
        address -> Text,
        latitude -> Float8,
        longitude -> Float8,
        created_at -> Timestamptz,
        time_zone -> Text,
    }
}

diesel::table! {
    events (id) {
        id -> Int8,
        title -> Text,
        description -> Text,
        event_type -> Text,
        city_id -> Int8,
        venue_id -> Nullable<Int8>,
        metadata -> Jsonb,
        created_at -> Timestamptz,
        organizer_id -> Nullable<Uuid>,
    }
}

diesel::table! {
    shows (id) {
        id -> Int8,
        event_id -> Int8,
        venue_id -> Nullable<Int8>,
        screen_name -> Text,
        starts_at -> Timestamptz,
        ends_at -> Timestamptz,
        kind -> Text,
        currency -> Bpchar,
        capacity -> Nullable<Int4>,
        free_places -> Nullable<Int4>,
        price -> Nullable<Int8>,
        created_at -> Timestamptz,
        chart_version -> Int8,
    }
}

diesel::table! {
    seat_classes (id) {
        id -> Int8,
        show_id -> Int8,
        name -> Text,
        min_price -> Nullable<Int8>,
        normal_price -> Nullable<Int8>,
        max_price -> Nullable<Int8>,
        external_ref -> Nullable<Text>,
        seat_count -> Int4,
    }
}

diesel::table! {
    seat_class_sales (seat_class_id, slot) {
        seat_class_id -> Int8,
        slot -> Int2,
        sold -> Int4,
    }
}

diesel::table! {
    seats (id) {
        id -> Int8,
        show_id -> Int8,
        seat_class_id -> Int8,
        label -> Text,
        row_label -> Text,
        seat_number -> Int4,
        external_ref -> Nullable<Text>,
    }
}

diesel::table! {
    bookings (id) {
        id -> Uuid,
        reference -> Text,
        show_id -> Nullable<Int8>,
        status -> Text,
        customer_name -> Text,
        phone -> Nullable<Text>,
        email -> Nullable<Text>,
        quantity -> Int4,
        total_amount -> Int8,
        currency -> Bpchar,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        cancelled_at -> Nullable<Timestamptz>,
        user_id -> Nullable<Uuid>,
        guest_token_hash -> Nullable<Bytea>,
        expires_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    appointments (booking_id) {
        booking_id -> Uuid,
        service_id -> Int8,
        provider_id -> Uuid,
        starts_at -> Timestamptz,
        ends_at -> Timestamptz,
        buffer_before_minutes -> Int4,
        buffer_after_minutes -> Int4,
        places -> Int4,
        notes -> Text,
        occupied -> Tstzrange,
        class_key -> Text,
        active -> Bool,
        reminded_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    class_places (service_id, starts_at) {
        service_id -> Int8,
        starts_at -> Timestamptz,
        capacity -> Int4,
        taken -> Int4,
    }
}

diesel::table! {
    notifications (id) {
        id -> Int8,
        user_id -> Uuid,
        message_id -> Nullable<Uuid>,
        topic -> Text,
        booking_id -> Nullable<Uuid>,
        title -> Text,
        body -> Text,
        created_at -> Timestamptz,
        read_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    outbox (id) {
        id -> Int8,
        message_id -> Uuid,
        topic -> Text,
        booking_id -> Nullable<Uuid>,
        at -> Timestamptz,
        status -> Text,
        attempts -> Int4,
        next_attempt_at -> Timestamptz,
        last_error -> Nullable<Text>,
        delivered_at -> Nullable<Timestamptz>,
        notification_id -> Nullable<Int8>,
        user_id -> Nullable<Uuid>,
        sealed -> Nullable<Bytea>,
        webhook_delivery_id -> Nullable<Uuid>,
    }
}

diesel::table! {
    webhooks (id) {
        id -> Uuid,
        owner_id -> Uuid,
        url -> Text,
        events -> Array<Text>,
        secret -> Bytea,
        active -> Bool,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> Uuid,
        webhook_id -> Uuid,
        source_message_id -> Uuid,
        topic -> Text,
        payload -> Jsonb,
        attempts -> Int4,
        last_attempt_at -> Nullable<Timestamptz>,
        last_status -> Nullable<Int4>,
        last_error -> Nullable<Text>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    payments (id) {
        id -> Uuid,
        booking_id -> Uuid,
        amount -> Int8,
        currency -> Bpchar,
        status -> Text,
        method -> Text,
        gateway_ref -> Nullable<Text>,
        failure_code -> Nullable<Text>,
        outcome -> Nullable<Text>,
        refunded_amount -> Int8,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    refunds (id) {
        id -> Uuid,
        payment_id -> Uuid,
        amount -> Int8,
        status -> Text,
        reason -> Text,
        gateway_ref -> Nullable<Text>,
        failure_code -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    users (id) {
        id -> Uuid,
        email -> Text,
        phone -> Nullable<Text>,
        password_hash -> Text,
        first_name -> Text,
        last_name -> Text,
        address -> Text,
        role -> Text,
        active -> Bool,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> Int8,
        user_id -> Uuid,
        family_id -> Uuid,
        token_hash -> Bytea,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    password_reset_tokens (id) {
        id -> Int8,
        user_id -> Uuid,
        token_hash -> Bytea,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    idempotency_keys (scope, key) {
        scope -> Text,
        key -> Text,
        request_hash -> Bytea,
        status -> Text,
        lease -> Uuid,
        response_status -> Nullable<Int4>,
        response_body -> Nullable<Bytea>,
        content_type -> Nullable<Text>,
        created_at -> Timestamptz,
        completed_at -> Nullable<Timestamptz>,
        expires_at -> Timestamptz,
    }
}

diesel::table! {
    booking_items (id) {
        id -> Int8,
        booking_id -> Uuid,
        show_id -> Int8,
        seat_id -> Nullable<Int8>,
        seat_class_id -> Nullable<Int8>,
        label -> Nullable<Text>,
        quantity -> Int4,
        price -> Int8,
        tier -> Nullable<Text>,
        active -> Bool,
    }
}

diesel::joinable!(venues -> cities (city_id));
diesel::table! {
    booking_history (id) {
        id -> Int8,
        booking_id -> Uuid,
        entity -> Text,
        entity_id -> Text,
        from_status -> Nullable<Text>,
        to_status -> Text,
        actor -> Nullable<Text>,
        reason -> Nullable<Text>,
        at -> Timestamptz,
    }
}

diesel::table! {
    categories (id) {
        id -> Int8,
        name -> Text,
        description -> Text,
        active -> Bool,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    services (id) {
        id -> Int8,
        provider_id -> Uuid,
        title -> Text,
        description -> Text,
        category_id -> Int8,
        price -> Int8,
        currency -> Bpchar,
        time_zone -> Text,
        weekly -> Jsonb,
        exceptions -> Jsonb,
        duration_minutes -> Int4,
        buffer_before_minutes -> Int4,
        buffer_after_minutes -> Int4,
        capacity -> Int4,
        min_notice_minutes -> Int4,
        max_advance_days -> Int4,
        requires_acceptance -> Bool,
        full_refund_hours_before -> Int4,
        late_refund_percent -> Int4,
        reminder_minutes_before -> Nullable<Int4>,
        image_urls -> Array<Text>,
        active -> Bool,
        deleted_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::joinable!(events -> cities (city_id));
diesel::joinable!(events -> venues (venue_id));
diesel::joinable!(outbox -> bookings (booking_id));
diesel::joinable!(outbox -> notifications (notification_id));
diesel::joinable!(outbox -> webhook_deliveries (webhook_delivery_id));
diesel::joinable!(webhooks -> users (owner_id));
diesel::joinable!(webhook_deliveries -> webhooks (webhook_id));
diesel::joinable!(notifications -> users (user_id));
diesel::joinable!(shows -> events (event_id));
diesel::joinable!(shows -> venues (venue_id));
diesel::joinable!(seat_classes -> shows (show_id));
diesel::joinable!(seats -> shows (show_id));
diesel::joinable!(seat_class_sales -> seat_classes (seat_class_id));
diesel::joinable!(seats -> seat_classes (seat_class_id));
diesel::joinable!(bookings -> shows (show_id));
diesel::joinable!(booking_items -> bookings (booking_id));
diesel::joinable!(booking_history -> bookings (booking_id));
diesel::joinable!(payments -> bookings (booking_id));
diesel::joinable!(refunds -> payments (payment_id));
diesel::joinable!(refresh_tokens -> users (user_id));
diesel::joinable!(password_reset_tokens -> users (user_id));
diesel::joinable!(booking_items -> seats (seat_id));
diesel::joinable!(booking_items -> seat_classes (seat_class_id));
diesel::joinable!(services -> users (provider_id));
diesel::joinable!(services -> categories (category_id));
diesel::joinable!(appointments -> bookings (booking_id));
diesel::joinable!(appointments -> services (service_id));

diesel::allow_tables_to_appear_in_same_query!(
    cities,
    venues,
    events,
    shows,
    seat_classes,
    seat_class_sales,
    seats,
    bookings,
    booking_items,
    users,
    refresh_tokens,
    password_reset_tokens,
    idempotency_keys,
    booking_history,
    payments,
    refunds,
    outbox,
    notifications,
    webhooks,
    webhook_deliveries,
    categories,
    services,
    appointments,
    class_places,
);
